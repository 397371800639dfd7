import { ConfigError } from '@aegis/config';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { databaseUrlFromEnv, kafkaBrokersFromEnv, kafkaEnvWithBrokers } from './cli.env';

describe('the CLI environment', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads the fallbacks of --url and --brokers when set, nothing when not', () => {
    vi.stubEnv('AEGIS_DATABASE_URL', 'postgres://u@db:5432/aegis');
    vi.stubEnv('AEGIS_KAFKA_BROKERS', 'a:1, b:2');
    expect(databaseUrlFromEnv()).toBe('postgres://u@db:5432/aegis');
    expect(kafkaBrokersFromEnv()).toEqual(['a:1', 'b:2']);
    vi.stubEnv('AEGIS_DATABASE_URL', undefined);
    vi.stubEnv('AEGIS_KAFKA_BROKERS', undefined);
    expect(databaseUrlFromEnv()).toBeUndefined();
    expect(kafkaBrokersFromEnv()).toBeUndefined();
  });

  it('names a malformed variable, and only the one a command reads', () => {
    vi.stubEnv('AEGIS_DATABASE_URL', 'mysql://db');
    vi.stubEnv('AEGIS_KAFKA_BROKERS', 'a:1');
    expect(() => databaseUrlFromEnv()).toThrow(ConfigError);
    expect(() => databaseUrlFromEnv()).toThrow(/AEGIS_DATABASE_URL/);
    expect(kafkaBrokersFromEnv()).toEqual(['a:1']);
  });

  it('reads broker auth as the services do, with the brokers given', () => {
    vi.stubEnv('AEGIS_KAFKA_BROKERS', 'ignored:1');
    vi.stubEnv('AEGIS_KAFKA_SSL', 'true');
    vi.stubEnv('AEGIS_KAFKA_SASL_MECHANISM', 'plain');
    vi.stubEnv('AEGIS_KAFKA_USERNAME', undefined);
    expect(() => kafkaEnvWithBrokers(['k:9092'])).toThrow(/AEGIS_KAFKA_USERNAME/);
    vi.stubEnv('AEGIS_KAFKA_USERNAME', 'svc');
    vi.stubEnv('AEGIS_KAFKA_PASSWORD', 'secret');
    expect(kafkaEnvWithBrokers(['k:9092'])).toMatchObject({
      AEGIS_KAFKA_BROKERS: ['k:9092'],
      AEGIS_KAFKA_SSL: true,
      AEGIS_KAFKA_SASL_MECHANISM: 'plain',
    });
  });
});
