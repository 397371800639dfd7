import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { type Observable, throwError } from 'rxjs';
import { isAegisError } from '@aegis/protocol';
import { isDependencyUnavailable } from './dependency-unavailable';
import { grpcStatusOfKind } from './error-status';

/**
 * The one global filter of a hybrid app (gRPC API + bus consumers), since Nest applies global
 * filters to every transport:
 * - bus records: the error goes back to the bus unchanged (retry, or dead-letter for a
 *   PoisonMessageError), as RethrowToTransportFilter does;
 * - gRPC calls: an RpcException's `{ code, message }` goes to grpc-js as the status; any error of
 *   the project's family (AegisError) is answered with the status of its kind and its message,
 *   which names the field (kind `internal` is a bug: logged, answered without detail); a dependency
 *   that cannot be reached (Postgres down) is UNAVAILABLE, which clients retry; anything else is
 *   a bug, logged here and answered INTERNAL without leaking its message.
 */
@Catch()
export class TransportExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    if (isBusRecord(host.getArgByIndex<unknown>(0))) return throwError(() => exception);
    if (exception instanceof RpcException) {
      const error = exception.getError();
      if (typeof error === 'object' && error !== null && 'code' in error) return throwError(() => error);
      return throwError(() => ({ code: GrpcStatus.UNKNOWN, message: String(typeof error === 'string' ? error : exception.message) }));
    }
    if (isAegisError(exception) && exception.kind !== 'internal') {
      return throwError(() => ({ code: grpcStatusOfKind(exception.kind), message: exception.message, details: exception.message }));
    }
    if (isDependencyUnavailable(exception)) {
      this.logger.warn(
        { err: exception instanceof Error ? exception.message : String(exception) },
        'dependency unavailable in gRPC handler',
      );
      return throwError(() => ({ code: GrpcStatus.UNAVAILABLE, message: 'a dependency is unavailable; retry with backoff' }));
    }
    this.logger.error(
      { err: exception instanceof Error ? { message: exception.message, stack: exception.stack } : String(exception) },
      'unhandled error in gRPC handler',
    );
    return throwError(() => ({ code: GrpcStatus.INTERNAL, message: 'internal error' }));
  }
}

function isBusRecord(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'topic' in value &&
    'offset' in value &&
    typeof value.offset === 'bigint' &&
    'value' in value &&
    value.value instanceof Uint8Array
  );
}
