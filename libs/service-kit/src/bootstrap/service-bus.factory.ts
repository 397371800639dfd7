import { type KafkaConnectionOptions, KafkaEventBus, type KafkaEventBusOptions } from '@aegis/bus';
import type { KafkaEnv } from '@aegis/config';
import type { Logger } from 'pino';

/** Consumer settings a service chooses for itself (not deployment configuration). */
export type KafkaConsumerTuning = Pick<KafkaEventBusOptions, 'partitionsConsumedConcurrently'>;

/** The broker connection (brokers, TLS, SASL) from validated AEGIS_KAFKA_* variables: services and the CLI alike. */
export function kafkaConnectionFromEnv(cfg: KafkaEnv, clientId: string): KafkaConnectionOptions {
  const sasl =
    cfg.AEGIS_KAFKA_SASL_MECHANISM && cfg.AEGIS_KAFKA_USERNAME && cfg.AEGIS_KAFKA_PASSWORD
      ? { mechanism: cfg.AEGIS_KAFKA_SASL_MECHANISM, username: cfg.AEGIS_KAFKA_USERNAME, password: cfg.AEGIS_KAFKA_PASSWORD }
      : undefined;
  return { brokers: cfg.AEGIS_KAFKA_BROKERS, clientId, ssl: cfg.AEGIS_KAFKA_SSL, ...(sasl ? { sasl } : {}) };
}

/**
 * The distributed-mode bus of a service process, from its validated AEGIS_KAFKA_* variables.
 * `tuning.partitionsConsumedConcurrently` > 1 only for services whose handlers are safe to run
 * concurrently for different keys (order within a partition stays strict either way).
 */
export function kafkaBusFromEnv(cfg: KafkaEnv, clientId: string, logger: Logger, tuning: KafkaConsumerTuning = {}): KafkaEventBus {
  return new KafkaEventBus({
    ...kafkaConnectionFromEnv(cfg, clientId),
    ...(cfg.AEGIS_KAFKA_FETCH_MAX_WAIT_MS !== undefined ? { fetchMaxWaitMs: cfg.AEGIS_KAFKA_FETCH_MAX_WAIT_MS } : {}),
    ...(cfg.AEGIS_KAFKA_FETCH_MIN_BYTES !== undefined ? { fetchMinBytes: cfg.AEGIS_KAFKA_FETCH_MIN_BYTES } : {}),
    logger: logger.child({ component: 'bus' }),
    ...tuning,
  });
}
