import { Controller, Injectable, Module } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { InProcessEventBus } from '@aegis/bus';
import { GRPC_SERVICES, SUBMISSION_QUERY, TOPICS } from '@aegis/contracts';
import { waitFor } from '@aegis/testing';
import { status as GrpcStatus } from '@grpc/grpc-js';
import pino from 'pino';
import { NEVER, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcServiceClient } from './grpc.client';
import { grpcError } from './grpc-status.error';
import { bootstrapService, type RunningService } from './service.bootstrap';

/** Holds every call until the test releases them, so the test decides how many are in flight. */
@Injectable()
class Gate {
  entered = 0;
  private waiting: (() => void)[] = [];
  hold(): Promise<void> {
    this.entered += 1;
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  releaseAll(): void {
    for (const release of this.waiting.splice(0)) release();
  }
}

@Controller()
class HeldController {
  constructor(private readonly gate: Gate) {}

  @GrpcMethod(SUBMISSION_QUERY.service, 'GetSubmission')
  async get(): Promise<never> {
    await this.gate.hold();
    throw grpcError(GrpcStatus.NOT_FOUND, 'submission_id', 'no such submission');
  }
}

@Controller()
class WatchController {
  /** A stream that stays open until the client leaves. */
  @GrpcMethod(GRPC_SERVICES.taskIngress.service, 'WatchTask')
  watch(): Observable<never> {
    return NEVER;
  }
}

@Module({ controllers: [HeldController, WatchController], providers: [Gate] })
class HeldModule {}

const codeOf = (p: Promise<unknown>): Promise<{ code?: number; details?: string }> =>
  p.then(
    () => ({}),
    (err: { code?: number; details?: string }) => err,
  );

describe('InFlightLimit on a gRPC server', () => {
  let sut: RunningService | undefined;
  let client: GrpcServiceClient | undefined;
  afterEach(async () => {
    client?.close();
    await sut?.close();
  });

  it('answers RESOURCE_EXHAUSTED naming the bound while it is full, and takes calls again once they finish', async () => {
    const bus = new InProcessEventBus({ topics: [TOPICS.tasks] });
    sut = await bootstrapService({
      name: 'limited',
      module: HeldModule,
      logger: pino({ level: 'silent' }),
      bus,
      ownsBus: true,
      host: '127.0.0.1',
      grpc: { port: 0, services: [SUBMISSION_QUERY, GRPC_SERVICES.taskIngress], maxInFlight: 2, maxStreams: 1 },
      metricsPort: null,
      handleSignals: false,
    });
    const gate = sut.app.get(Gate);
    client = new GrpcServiceClient(SUBMISSION_QUERY, `127.0.0.1:${sut.grpcPort}`);
    const call = (): Promise<unknown> =>
      client?.unary('GetSubmission', { submissionId: Buffer.alloc(32) }) ?? Promise.reject(new Error('no client'));

    const held = [codeOf(call()), codeOf(call())];
    await waitFor('two calls in flight', () => gate.entered === 2);
    const refused = await codeOf(call());
    expect(refused.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/2 calls in flight, the bound \(maxInFlight 2\)/);
    expect(gate.entered).toBe(2);

    gate.releaseAll();
    expect((await Promise.all(held)).map((e) => e.code)).toEqual([GrpcStatus.NOT_FOUND, GrpcStatus.NOT_FOUND]);
    // Freed: the next call is handled (held, then answered by the handler).
    const next = codeOf(call());
    await waitFor('the next call handled', () => gate.entered === 3);
    gate.releaseAll();
    expect((await next).code).toBe(GrpcStatus.NOT_FOUND);
  });

  it('bounds open streams apart from unary calls, and frees a slot when a stream ends', async () => {
    const bus = new InProcessEventBus({ topics: [TOPICS.tasks] });
    sut = await bootstrapService({
      name: 'limited',
      module: HeldModule,
      logger: pino({ level: 'silent' }),
      bus,
      ownsBus: true,
      host: '127.0.0.1',
      grpc: { port: 0, services: [SUBMISSION_QUERY, GRPC_SERVICES.taskIngress], maxInFlight: 2, maxStreams: 1 },
      metricsPort: null,
      handleSignals: false,
    });
    client = new GrpcServiceClient(GRPC_SERVICES.taskIngress, `127.0.0.1:${sut.grpcPort}`);
    type Stream = { on(event: 'error', cb: (err: { code?: number; details?: string }) => void): Stream; cancel(): void };
    const watch = (): Stream => (client?.client as unknown as { WatchTask(req: object): Stream }).WatchTask({ taskHash: Buffer.alloc(32) });
    const errorOf = (stream: Stream): Promise<{ code?: number; details?: string }> => new Promise((resolve) => stream.on('error', resolve));

    const open = watch();
    const openError = errorOf(open);
    await waitFor('the first stream open', () => sut?.inFlight.inFlight().streams === 1);
    const refused = await errorOf(watch());
    expect(refused.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/1 streams open, the bound \(maxStreams 1\)/);
    open.cancel();
    expect((await openError).code).toBe(GrpcStatus.CANCELLED);
    await waitFor('the slot freed', () => sut?.inFlight.inFlight().streams === 0);
    const again = watch();
    const againError = errorOf(again);
    await waitFor('another stream open', () => sut?.inFlight.inFlight().streams === 1);
    again.cancel();
    expect((await againError).code).toBe(GrpcStatus.CANCELLED);
  });
});
