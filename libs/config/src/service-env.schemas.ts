import { z } from 'zod';
import { env } from './config.schemas';

/**
 * The broker connection every Kafka-connected service reads (docs/conventions.md). SASL needs all
 * three of mechanism, username and password; the refinement names the missing one.
 */
export const kafkaEnvSchema = z
  .object({
    AEGIS_KAFKA_BROKERS: env.brokers,
    AEGIS_KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    AEGIS_KAFKA_USERNAME: z.string().min(1).optional(),
    AEGIS_KAFKA_PASSWORD: z.string().min(1).optional(),
    AEGIS_KAFKA_SSL: z
      .enum(['true', 'false', '1', '0'])
      .default('false')
      .transform((v) => v === 'true' || v === '1'),
    // Consumer fetch batching (KafkaEventBusOptions.fetchMaxWaitMs / fetchMinBytes): unset keeps
    // the bus defaults, 100 ms / 1 byte.
    AEGIS_KAFKA_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(1).max(10_000).optional(),
    AEGIS_KAFKA_FETCH_MIN_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(16 * 1024 * 1024)
      .optional(),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.AEGIS_KAFKA_SASL_MECHANISM === undefined) return;
    for (const key of ['AEGIS_KAFKA_USERNAME', 'AEGIS_KAFKA_PASSWORD'] as const) {
      if (cfg[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required when AEGIS_KAFKA_SASL_MECHANISM is set' });
    }
  });

export type KafkaEnv = z.infer<typeof kafkaEnvSchema>;

/**
 * What the `aegis` CLI falls back on when a command's flag is absent (`--url`, `--brokers`): the
 * same validators as the services', so a bad value is an error naming the variable.
 */
export const cliEnvSchema = z.object({
  AEGIS_DATABASE_URL: env.databaseUrl.optional(),
  AEGIS_KAFKA_BROKERS: env.brokers.optional(),
});
