import { Controller, Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { InProcessEventBus, PoisonMessageError, type BusRecord } from '@aegis/bus';
import { decodeTopicMessage, TOPICS } from '@aegis/contracts';
import { waitFor } from '@aegis/testing';
import { Client, credentials, status as GrpcStatus } from '@grpc/grpc-js';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcHealthStatus } from '../health';
import { bootstrapService, type RunningService } from './service.bootstrap';
import { EVENT_BUS } from './service-kit.constants';

const TOPIC = TOPICS.tasks;
/** Task-keyed topic: keys are task hashes (docs/events.md). */
const key = (byte: string): string => `0x${byte.repeat(32)}`;
const [POISON, A, SLOW] = [key('0d'), key('0a'), key('05')];

@Injectable()
class Seen implements OnModuleDestroy {
  readonly keys: string[] = [];
  /** Set by onModuleDestroy: a handler that runs after it would be using a closed database. */
  destroyed = false;
  release: (() => void) | undefined;
  onModuleDestroy(): void {
    this.destroyed = true;
  }
}

@Controller()
class ProbeController {
  constructor(
    private readonly seen: Seen,
    @Inject(EVENT_BUS) readonly bus: unknown,
  ) {}

  @EventPattern(TOPIC)
  async handle(@Payload() record: BusRecord): Promise<void> {
    if (record.key === POISON) throw new PoisonMessageError('invalid', 'key', 'refused by the test');
    if (record.key === SLOW) await new Promise<void>((resolve) => (this.seen.release = resolve));
    if (this.seen.destroyed) throw new Error('handler ran after destroy hooks');
    this.seen.keys.push(record.key);
  }
}

@Module({ controllers: [ProbeController], providers: [Seen], exports: [Seen] })
class ProbeModule {}

describe('bootstrapService', () => {
  let sut: RunningService | undefined;
  let bus: InProcessEventBus;
  afterEach(async () => {
    await sut?.close();
    await bus.close();
  });

  const start = async (): Promise<RunningService> => {
    bus = new InProcessEventBus({ topics: [TOPIC] });
    sut = await bootstrapService({
      name: 'probe',
      module: ProbeModule,
      logger: pino({ level: 'silent' }),
      bus,
      ownsBus: false,
      host: '127.0.0.1',
      grpc: { port: 0, services: [] },
      metricsPort: null,
      consumer: { groupId: 'probe.v1' },
      handleSignals: false,
    });
    return sut;
  };

  it('serves health, delivers bus records to @EventPattern handlers and dead-letters poison', async () => {
    const service = await start();
    expect(await grpcHealthStatus(service.grpcPort)).toBe('SERVING');
    await bus.publish(TOPIC, POISON, new Uint8Array([1]));
    await bus.publish(TOPIC, 'not-a-hash', new Uint8Array([4]));
    await bus.publish(TOPIC, A, new Uint8Array([2]));
    const seen = service.app.get(Seen);
    await waitFor('record a handled', () => seen.keys.includes(A));
    const deadLetters: string[] = [];
    const probe = await bus.subscribe({
      topics: [TOPICS.deadLetter],
      groupId: 'probe.dlq',
      handler: async (r) => void deadLetters.push(decodeTopicMessage(TOPICS.deadLetter, r.value).detail),
    });
    await waitFor('dead letters', () => deadLetters.length === 2);
    await probe.stop();
    expect(deadLetters[0]).toContain('refused by the test');
    expect(deadLetters[1]).toContain('not a lowercase 0x task hash');
    expect(seen.keys).toEqual([A]);
  });

  it('answers undecodable request bytes INVALID_ARGUMENT, not INTERNAL', async () => {
    const service = await start();
    const client = new Client(`127.0.0.1:${service.grpcPort}`, credentials.createInsecure());
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
    const failure = await new Promise<{ code?: number; details?: string }>((resolve) =>
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        (b: Buffer) => b,
        (b: Buffer) => b,
        garbage,
        (err) => resolve(err ?? {}),
      ),
    );
    client.close();
    expect(failure.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(failure.details).toContain('request');
    expect(await grpcHealthStatus(service.grpcPort)).toBe('SERVING');
  });

  it('on close: reports NOT_SERVING, finishes the record in hand before destroy hooks run', async () => {
    const service = await start();
    const seen = service.app.get(Seen);
    await bus.publish(TOPIC, SLOW, new Uint8Array([3]));
    await waitFor('slow record in hand', () => seen.release !== undefined);
    const closed = service.close();
    await waitFor('NOT_SERVING while draining', async () => (await grpcHealthStatus(service.grpcPort)) !== 'SERVING');
    expect(seen.destroyed).toBe(false);
    seen.release?.();
    await closed;
    expect(seen.keys).toEqual([SLOW]);
    expect(seen.destroyed).toBe(true);
    sut = undefined;
  });
});
