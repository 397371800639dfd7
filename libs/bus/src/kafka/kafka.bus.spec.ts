import { describe, expect, it } from 'vitest';
import { BusErrorCode } from '../bus.errors';
import { KafkaEventBus } from './kafka.bus';

// Construction validates options without touching a broker (kafkajs connects lazily).
describe('KafkaEventBus options', () => {
  const connection = { brokers: ['127.0.0.1:1'], clientId: 'options-test' };

  it.each([
    ['fetchMaxWaitMs', { fetchMaxWaitMs: 0 }],
    ['fetchMaxWaitMs', { fetchMaxWaitMs: 2.5 }],
    ['fetchMinBytes', { fetchMinBytes: 0 }],
    ['fetchMinBytes', { fetchMinBytes: 17 * 1024 * 1024 }],
    ['requestTimeoutMs', { requestTimeoutMs: 99 }],
    ['producerStallMs', { producerStallMs: 0 }],
    ['consumerStallMs', { consumerStallMs: 1.5 }],
  ])('rejects a bad %s, naming it', (field, bad) => {
    expect(() => new KafkaEventBus({ ...connection, ...bad })).toThrow(
      expect.objectContaining({ code: BusErrorCode.INVALID_ARGUMENT, field }),
    );
  });

  it('accepts fetch settings in range', async () => {
    const bus = new KafkaEventBus({ ...connection, fetchMaxWaitMs: 1, fetchMinBytes: 1 });
    await bus.close();
  });
});

describe('KafkaEventBus.problems', () => {
  it('names a broker that does not answer, within the deadline', async () => {
    const bus = new KafkaEventBus({ brokers: ['127.0.0.1:1'], clientId: 'problems-test', connectionTimeoutMs: 200 });
    try {
      const started = Date.now();
      const problems = await bus.problems(1_000);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^kafka: /);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await bus.close();
    }
  });

  it('reports a closed bus', async () => {
    const bus = new KafkaEventBus({ brokers: ['127.0.0.1:1'], clientId: 'problems-test' });
    await bus.close();
    expect(await bus.problems(100)).toEqual(['kafka: the bus is closed']);
  });
});
