import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BusError, BusErrorCode } from '../bus.errors';
import { isFatalProducerError } from './producer-fatal';

/** kafkajs builds its protocol errors from the broker's code: 45 is OUT_OF_ORDER_SEQUENCE_NUMBER. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs exposes the code table only here
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error & { type: string };
};

describe('isFatalProducerError', () => {
  it('recognises the broker answers that wedge an idempotent producer, however kafkajs wraps them', () => {
    const outOfOrder = new KafkaJSProtocolError(createErrorFromCode(45));
    expect(outOfOrder.type).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(isFatalProducerError(outOfOrder)).toBe(true);
    expect(isFatalProducerError(new KafkaJSNumberOfRetriesExceeded(outOfOrder, { retryCount: 8, retryTime: 2000 }))).toBe(true);
    expect(isFatalProducerError(new BusError(BusErrorCode.PUBLISH_FAILED, 'topic', 'x', { cause: outOfOrder }))).toBe(true);
    expect(isFatalProducerError(new KafkaJSProtocolError(createErrorFromCode(59)))).toBe(true); // UNKNOWN_PRODUCER_ID
  });

  it('leaves transient failures to the retry that already handles them', () => {
    expect(isFatalProducerError(new KafkaJSProtocolError(createErrorFromCode(6)))).toBe(false); // NOT_LEADER_FOR_PARTITION
    expect(isFatalProducerError(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(false);
  });
});
