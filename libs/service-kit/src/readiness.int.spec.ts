import { KafkaEventBus } from '@aegis/bus';
import { Module } from '@nestjs/common';
import { freezeTestBroker, testDatabaseUrl, testKafkaBrokers, testServer, waitFor } from '@aegis/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapService, type RunningService } from './bootstrap/service.bootstrap';
import { grpcHealthStatus, LIVENESS_SERVICE, READINESS_SERVICE } from './health';

@Module({})
class EmptyModule {}

// Readiness on the real servers: stopping Postgres or freezing the broker takes the service out
// of rotation (readiness NOT_SERVING) while it stays live, and brings it back when they return.
describe('readiness against real Postgres and Kafka', () => {
  let sut: RunningService;
  const gaveUp: (readonly string[])[] = [];
  const status = (service = ''): Promise<string> => grpcHealthStatus(sut.grpcPort, '127.0.0.1', service);

  beforeAll(async () => {
    const logger = pino({ level: 'silent' });
    const bus = new KafkaEventBus({ brokers: testKafkaBrokers(), clientId: 'readiness-int', logger });
    sut = await bootstrapService({
      name: 'readiness-probe',
      module: EmptyModule,
      logger,
      bus,
      ownsBus: true,
      host: '127.0.0.1',
      grpc: { port: 0, services: [] },
      metricsPort: null,
      handleSignals: false,
      // A short watchdog bound that the Postgres outage outlasts: giveUp records instead of exiting.
      readiness: {
        databaseUrl: testDatabaseUrl(),
        intervalMs: 200,
        deadlineMs: 1_000,
        exitAfterNotReadyMs: 3_000,
        giveUp: (p) => gaveUp.push(p),
      },
    });
  });
  afterAll(async () => {
    await sut.close();
  });

  it('is live and ready while everything answers', async () => {
    await waitFor('ready', async () => (await status()) === 'SERVING');
    expect(await status(READINESS_SERVICE)).toBe('SERVING');
    expect(await status(LIVENESS_SERVICE)).toBe('SERVING');
  });

  it('is not ready while Postgres is stopped, stays live, gives up after the bound, and is ready again after', async () => {
    let stopped = false;
    try {
      testServer('postgres', 'stop');
      stopped = true;
      await waitFor('not ready', async () => (await status()) === 'NOT_SERVING', { timeoutMs: 10_000 });
      expect(await status(LIVENESS_SERVICE)).toBe('SERVING');
      expect(sut.health.problems().join('\n')).toMatch(/^postgres: /);
      const outage = await waitFor('the watchdog gives up', () => gaveUp[0], { timeoutMs: 10_000 });
      expect(outage.join('\n')).toMatch(/postgres/);
      testServer('postgres', 'start');
      stopped = false;
      await waitFor('ready again', async () => (await status()) === 'SERVING', { timeoutMs: 15_000 });
    } finally {
      if (stopped) testServer('postgres', 'start');
    }
  });

  it('is not ready while the broker does not answer, and ready again after', async () => {
    const thaw = freezeTestBroker();
    try {
      await waitFor('not ready', async () => (await status()) === 'NOT_SERVING', { timeoutMs: 10_000 });
      expect(sut.health.problems().join('\n')).toMatch(/kafka: /);
      expect(await status(LIVENESS_SERVICE)).toBe('SERVING');
    } finally {
      thaw();
    }
    await waitFor('ready again', async () => (await status()) === 'SERVING', { timeoutMs: 30_000 });
  });
});
