import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, env, kafkaEnvSchema, loadConfig } from './index';

const schema = z.object({
  AEGIS_GRPC_PORT: env.port(50051),
  AEGIS_KAFKA_BROKERS: env.brokers,
  AEGIS_MIN_STAKE: env.amount(10_000n),
});

describe('loadConfig', () => {
  it('returns typed values with defaults applied', () => {
    const cfg = loadConfig(schema, { AEGIS_KAFKA_BROKERS: 'a:1, b:2' });
    expect(cfg).toEqual({ AEGIS_GRPC_PORT: 50051, AEGIS_KAFKA_BROKERS: ['a:1', 'b:2'], AEGIS_MIN_STAKE: 10_000n });
  });

  it('names every bad variable', () => {
    let caught: unknown;
    try {
      loadConfig(schema, { AEGIS_GRPC_PORT: '70000', AEGIS_MIN_STAKE: '-5' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const vars = (caught as ConfigError).problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['AEGIS_GRPC_PORT', 'AEGIS_KAFKA_BROKERS', 'AEGIS_MIN_STAKE']);
  });
});

describe('kafkaEnvSchema fetch batching', () => {
  it('leaves the fetch settings unset by default and reads them as integers when given', () => {
    expect(loadConfig(kafkaEnvSchema, { AEGIS_KAFKA_BROKERS: 'a:1' })).toEqual({ AEGIS_KAFKA_BROKERS: ['a:1'], AEGIS_KAFKA_SSL: false });
    expect(
      loadConfig(kafkaEnvSchema, { AEGIS_KAFKA_BROKERS: 'a:1', AEGIS_KAFKA_FETCH_MAX_WAIT_MS: '5', AEGIS_KAFKA_FETCH_MIN_BYTES: '1' }),
    ).toMatchObject({
      AEGIS_KAFKA_FETCH_MAX_WAIT_MS: 5,
      AEGIS_KAFKA_FETCH_MIN_BYTES: 1,
    });
  });

  it('names a fetch setting that is not a positive integer in range', () => {
    let caught: unknown;
    try {
      loadConfig(kafkaEnvSchema, { AEGIS_KAFKA_BROKERS: 'a:1', AEGIS_KAFKA_FETCH_MAX_WAIT_MS: '0', AEGIS_KAFKA_FETCH_MIN_BYTES: '1.5' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'AEGIS_KAFKA_FETCH_MAX_WAIT_MS',
      'AEGIS_KAFKA_FETCH_MIN_BYTES',
    ]);
  });
});
