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
  ])('rejects a bad %s, naming it', (field, bad) => {
    expect(() => new KafkaEventBus({ ...connection, ...bad })).toThrow(expect.objectContaining({ code: BusErrorCode.INVALID_ARGUMENT, field }));
  });

  it('accepts fetch settings in range', async () => {
    const bus = new KafkaEventBus({ ...connection, fetchMaxWaitMs: 1, fetchMinBytes: 1 });
    await bus.close();
  });
});
