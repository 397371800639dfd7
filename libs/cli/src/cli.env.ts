import { cliEnvSchema, type KafkaEnv, kafkaEnvSchema, loadConfig } from '@aegis/config';

/**
 * The CLI's one reader of the environment. Each variable is read and validated (@aegis/config's
 * schemas, errors naming the variable) when a command needs it, not when the command is
 * registered: `--help` must not print a database URL, password and all, as a flag's default,
 * and a variable one command does not use must not stop another.
 */

/** AEGIS_DATABASE_URL, if set: what `--url` falls back on. */
export function databaseUrlFromEnv(): string | undefined {
  return loadConfig(cliEnvSchema.pick({ AEGIS_DATABASE_URL: true }), process.env).AEGIS_DATABASE_URL;
}

/** AEGIS_KAFKA_BROKERS, if set: what `--brokers` falls back on. */
export function kafkaBrokersFromEnv(): string[] | undefined {
  return loadConfig(cliEnvSchema.pick({ AEGIS_KAFKA_BROKERS: true }), process.env).AEGIS_KAFKA_BROKERS;
}

/** Broker auth and tuning as the services read them (kafkaEnvSchema), with these brokers. */
export function kafkaEnvWithBrokers(brokers: readonly string[]): KafkaEnv {
  return loadConfig(kafkaEnvSchema, { ...process.env, AEGIS_KAFKA_BROKERS: brokers.join(',') });
}
