/**
 * @aegis/bus: the one event-bus port (EventBus) and its two adapters, KafkaEventBus (distributed
 * mode) and InProcessEventBus (embedded devnet), with the same delivery semantics (bus.port.ts).
 * The only place in the project that imports kafkajs.
 */
export * from './bus.port';
export * from './bus.errors';
export { DEAD_LETTER_REASON_HEADER, deadLetterRecord } from './dead-letter';
export { DEFAULT_RETRY, backoffDelayMs, type ResolvedRetryPolicy } from './delivery';
export { decodingHandler, routeByTopic } from './decoding.handler';
export { InProcessEventBus, type InProcessEventBusOptions } from './in-process/in-process.bus';
export { DEFAULT_FETCH_MAX_WAIT_MS, DEFAULT_FETCH_MIN_BYTES, KafkaEventBus, type KafkaEventBusOptions } from './kafka/kafka.bus';
export {
  type ConfigDrift,
  consumerGroupLag,
  createKafkaTopics,
  deleteKafkaTopics,
  topicRecordCounts,
  type CreateTopicsOptions,
  type CreateTopicsResult,
} from './kafka/kafka.admin';
export { parseBrokerList, type KafkaConnectionOptions, type KafkaSaslMechanism } from './kafka/kafka.options';
// Generic: also merges concurrent database writes in the services (one statement per merged batch).
export { SendCoalescer } from './kafka/send.coalescer';
export { BatchRunner } from './batch.runner';
export { withTimeout } from './with-timeout';
export { recordKeyProblem } from './record-keys';
