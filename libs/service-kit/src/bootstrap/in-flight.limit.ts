import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import type { PackageDefinition } from '@grpc/proto-loader';
import { finalize, type Observable, throwError } from 'rxjs';
import { grpcError, GrpcStatus } from './grpc-status.error';

/** Client work one gRPC server holds at once, unless the service says otherwise. */
export const DEFAULT_GRPC_MAX_IN_FLIGHT = 256;
export const DEFAULT_GRPC_MAX_STREAMS = 1_024;

export interface InFlightLimits {
  /** Unary calls being handled at once. */
  readonly maxInFlight: number;
  /** Server streams (WatchTask) open at once: long-lived, so counted apart from unary calls. */
  readonly maxStreams: number;
}

/**
 * Backpressure at the gRPC edge: a call that arrives while `maxInFlight` unary calls (or
 * `maxStreams` streams) are being handled is answered RESOURCE_EXHAUSTED at once, naming the
 * bound, instead of joining queues (a handler's batch, the database pool, the ledger client)
 * that would grow with the load until memory runs out. Clients retry with backoff; what is in
 * flight keeps its latency. Bus handlers (@EventPattern) pass through: the consumer already
 * takes one fetch at a time.
 */
@Injectable()
export class InFlightLimit implements NestInterceptor {
  private unary = 0;
  private streams = 0;
  /** `Service/Method` of the server-streaming methods, from the loaded protos. */
  private readonly streamingMethods = new Set<string>();

  constructor(private readonly limits: InFlightLimits) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const pattern = grpcPatternOf(context.getHandler());
    if (!pattern) return next.handle();
    const streaming = this.streamingMethods.has(`${pattern.service}/${pattern.rpc}`);
    if (streaming) {
      if (this.streams >= this.limits.maxStreams)
        return refuse(`${this.streams} streams open, the bound (maxStreams ${this.limits.maxStreams})`);
      this.streams += 1;
      return next.handle().pipe(finalize(() => (this.streams -= 1)));
    }
    if (this.unary >= this.limits.maxInFlight)
      return refuse(`${this.unary} calls in flight, the bound (maxInFlight ${this.limits.maxInFlight})`);
    this.unary += 1;
    return next.handle().pipe(finalize(() => (this.unary -= 1)));
  }

  /** Learns which methods stream from a package definition the gRPC server loaded. */
  noteDefinition(definition: PackageDefinition): void {
    for (const [fullName, service] of Object.entries(definition)) {
      const shortName = fullName.slice(fullName.lastIndexOf('.') + 1);
      for (const [method, def] of Object.entries(service)) {
        if (typeof def === 'object' && def !== null && 'responseStream' in def && def.responseStream === true)
          this.streamingMethods.add(`${shortName}/${method}`);
      }
    }
  }

  /** Calls and streams being handled now (metrics, tests). */
  inFlight(): { unary: number; streams: number } {
    return { unary: this.unary, streams: this.streams };
  }
}

function refuse(what: string): Observable<never> {
  return throwError(() => grpcError(GrpcStatus.RESOURCE_EXHAUSTED, 'server', `overloaded: ${what}; retry with backoff`));
}

/** The { service, rpc } of a @GrpcMethod handler; undefined for @EventPattern ones (topic strings). */
function grpcPatternOf(handler: unknown): { service: string; rpc: string } | undefined {
  if (typeof handler !== 'function') return undefined;
  const patterns: unknown = Reflect.getMetadata(PATTERN_METADATA, handler);
  for (const p of Array.isArray(patterns) ? patterns : [patterns]) {
    if (typeof p === 'object' && p !== null && 'rpc' in p && 'service' in p && typeof p.rpc === 'string' && typeof p.service === 'string') {
      return { service: p.service, rpc: p.rpc };
    }
  }
  return undefined;
}
