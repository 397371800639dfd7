import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, env, loadConfig } from './index';

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
