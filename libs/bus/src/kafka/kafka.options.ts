import { logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { BusError, BusErrorCode } from '../bus.errors';
import type { BusLogger } from '../bus.port';

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** How to reach the brokers: what AEGIS_KAFKA_* configure (libs/config) or the CLI's flags. */
export interface KafkaConnectionOptions {
  /** host:port list, at least one. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl?: boolean;
  readonly sasl?: { readonly mechanism: KafkaSaslMechanism; readonly username: string; readonly password: string };
  /** TCP connect timeout (default 3 s). */
  readonly connectionTimeoutMs?: number;
  /**
   * How long one request waits for the broker's answer (default 30 s, kafkajs's): the deadline
   * of every produce, fetch and admin request. A produce also asks the broker to wait at most
   * this long for its in-sync replicas.
   */
  readonly requestTimeoutMs?: number;
  readonly logger?: BusLogger;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const BROKER = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** Parses `host:port[,host:port...]` (AEGIS_KAFKA_BROKERS, --brokers), naming `field` on error. */
export function parseBrokerList(value: string, field = 'brokers'): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) throw new BusError(BusErrorCode.INVALID_ARGUMENT, field, 'must list at least one host:port');
  for (const broker of brokers) {
    const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
    if (!BROKER.test(broker) || port < 1 || port > 65_535) {
      throw new BusError(BusErrorCode.INVALID_ARGUMENT, field, `${JSON.stringify(broker)} is not host:port`);
    }
  }
  return brokers;
}

/** The kafkajs client configuration for these options, its log routed to the bus logger. */
export function kafkaClientConfig(options: KafkaConnectionOptions): KafkaConfig {
  if (options.brokers.length === 0) throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'brokers', 'must list at least one host:port');
  if (!options.clientId) throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'clientId', 'must be non-empty');
  const logger = options.logger;
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        if (!logger) return;
        const { message, ...fields } = log;
        const line = { component: 'kafkajs', ...fields };
        if (level <= logLevel.ERROR) logger.error(line, message);
        else if (level === logLevel.WARN) logger.warn(line, message);
        else logger.info(line, message);
      },
  };
  if (options.ssl) config.ssl = true;
  if (options.sasl) config.sasl = { ...options.sasl } as SASLOptions;
  return config;
}

/** An optional integer setting in [min, max]; a bad one is an INVALID_ARGUMENT naming `field`. */
export function checkIntegerOption(value: number | undefined, field: string, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BusError(BusErrorCode.INVALID_ARGUMENT, field, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}
