/**
 * Broker answers that leave an idempotent producer unable to send again: its producer id and
 * sequence numbers no longer match what the broker holds (after an outage the broker may have
 * expired the producer's state, or kept a batch the producer believes lost). kafkajs keeps the
 * same producer id and sequence, so every later send fails the same way ("The broker received
 * an out of order sequence number", forever). The only cure is a new producer: a new id.
 */
const FATAL_TYPES = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'DUPLICATE_SEQUENCE_NUMBER',
]);

/** Whether `err` (or what it wraps: kafkajs's retry errors carry `cause` or `originalError`) is such an answer. */
export function isFatalProducerError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  if ('type' in err && typeof err.type === 'string' && FATAL_TYPES.has(err.type)) return true;
  if (err instanceof Error && /out of order sequence number/i.test(err.message)) return true;
  if ('cause' in err && isFatalProducerError(err.cause, depth + 1)) return true;
  return 'originalError' in err && isFatalProducerError(err.originalError, depth + 1);
}
