import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  return loadConfig(kafkaEnvSchema, kafkaServiceEnv(brokers));
}

/**
 * The AEGIS_KAFKA_* variables a service started from this command reads: this process's, with the
 * brokers given. Validated here (kafkaEnvWithBrokers) so a bad setting fails before anything starts.
 */
export function kafkaServiceEnv(brokers: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith('AEGIS_KAFKA_') && value !== undefined) env[name] = value;
  env.AEGIS_KAFKA_BROKERS = brokers.join(',');
  loadConfig(kafkaEnvSchema, env);
  return env;
}

/**
 * The database a read-only command reads: `--url`, else AEGIS_DATABASE_URL, else the URL a
 * running `aegis devnet` left in its state dir (.cache/devnet/database.url, DEVNET_DATABASE_URL_FILE
 * in @aegis/devnet, not imported here: that module loads every service).
 */
export function readDatabaseUrl(url: string | undefined): string | undefined {
  if (url !== undefined) return url;
  const fromEnv = databaseUrlFromEnv();
  if (fromEnv !== undefined) return fromEnv;
  const file = join('.cache', 'devnet', 'database.url');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}
