import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes } from './bytes';
import { ProtocolError, ProtocolErrorCode } from './protocol.errors';
import { encodeTask, taskHash, validateTaskSpec, type TaskLimits, type TaskSpec } from './task.encoding';

const limits: TaskLimits = { vocabSize: 1000, contextLength: 64, maxNewTokensCap: 32 };
const valid: TaskSpec = {
  modelId: 'aegis-tiny-v1',
  promptTokens: [1, 2, 3],
  maxNewTokens: 8,
  topK: 40,
  temperatureMilli: 700,
  stopTokens: [2],
  nonce: 7n,
};

const specArb: fc.Arbitrary<TaskSpec> = fc.record({
  modelId: fc.stringMatching(/^[a-z0-9._-]{1,64}$/),
  promptTokens: fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 20 }),
  maxNewTokens: fc.integer({ min: 1, max: 32 }),
  topK: fc.integer({ min: 1, max: 1000 }),
  temperatureMilli: fc.integer({ min: 0, max: 10_000 }),
  stopTokens: fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { maxLength: 4 }),
  nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});

function fieldOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).field;
  }
  return undefined;
}

describe('validateTaskSpec', () => {
  it('accepts every well-formed spec within the limits', () => {
    fc.assert(fc.property(specArb, (spec) => validateTaskSpec(spec, limits)));
  });

  const bad: [string, Partial<TaskSpec>][] = [
    ['modelId', { modelId: '' }],
    ['modelId', { modelId: 'Aegis' }],
    ['modelId', { modelId: 'a/b' }],
    ['modelId', { modelId: 'a'.repeat(65) }],
    ['promptTokens', { promptTokens: [] }],
    ['promptTokens', { promptTokens: [1, 1000] }],
    ['promptTokens', { promptTokens: [-1] }],
    ['promptTokens', { promptTokens: [1.5] }],
    ['promptTokens', { promptTokens: new Array<number>(64).fill(0) }],
    ['maxNewTokens', { maxNewTokens: 0 }],
    ['maxNewTokens', { maxNewTokens: 33 }],
    ['maxNewTokens', { promptTokens: new Array<number>(40).fill(0), maxNewTokens: 25 }],
    ['topK', { topK: 0 }],
    ['topK', { topK: 1001 }],
    ['temperatureMilli', { temperatureMilli: -1 }],
    ['temperatureMilli', { temperatureMilli: 10_001 }],
    ['temperatureMilli', { temperatureMilli: 0.5 }],
    ['stopTokens', { stopTokens: [1000] }],
    ['stopTokens', { stopTokens: [2, 2] }],
    ['nonce', { nonce: -1n }],
    ['nonce', { nonce: 1n << 64n }],
    ['nonce', { nonce: 5 as unknown as bigint }],
  ];
  it.each(bad)('rejects a bad %s', (field, patch) => {
    expect(fieldOf(() => validateTaskSpec({ ...valid, ...patch }, limits))).toBe(field);
  });

  it('rejects any single corrupted field of a random valid spec, naming that field', () => {
    const corruptions: Record<keyof TaskSpec, (s: TaskSpec) => TaskSpec> = {
      modelId: (s) => ({ ...s, modelId: `${s.modelId}!` }),
      promptTokens: (s) => ({ ...s, promptTokens: [...s.promptTokens, limits.vocabSize] }),
      maxNewTokens: (s) => ({ ...s, maxNewTokens: limits.maxNewTokensCap + 1 }),
      topK: (s) => ({ ...s, topK: 0 }),
      temperatureMilli: (s) => ({ ...s, temperatureMilli: -s.temperatureMilli - 1 }),
      stopTokens: (s) => ({ ...s, stopTokens: [...s.stopTokens, -1] }),
      nonce: (s) => ({ ...s, nonce: s.nonce + (1n << 64n) }),
    };
    fc.assert(
      fc.property(specArb, fc.constantFrom(...(Object.keys(corruptions) as (keyof TaskSpec)[])), (spec, field) => {
        expect(fieldOf(() => validateTaskSpec(corruptions[field](spec), limits))).toBe(field);
      }),
    );
  });

  it('honours maxPromptTokens', () => {
    expect(fieldOf(() => validateTaskSpec(valid, { ...limits, maxPromptTokens: 2 }))).toBe('promptTokens');
  });
});

describe('encodeTask / taskHash', () => {
  it('is injective: distinct specs have distinct encodings and hashes', () => {
    fc.assert(
      fc.property(specArb, specArb, (a, b) => {
        const same =
          JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ===
          JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
        expect(equalBytes(encodeTask(a), encodeTask(b))).toBe(same);
        expect(equalBytes(taskHash(a), taskHash(b))).toBe(same);
      }),
    );
  });

  it('separates adjacent lists whose concatenation is the same', () => {
    const a = { ...valid, promptTokens: [1, 2], stopTokens: [3] };
    const b = { ...valid, promptTokens: [1], stopTokens: [2, 3] };
    expect(equalBytes(encodeTask(a), encodeTask(b))).toBe(false);
  });

  it('refuses values its wire types cannot hold instead of truncating them', () => {
    const err = (patch: Partial<TaskSpec>) => {
      try {
        encodeTask({ ...valid, ...patch });
      } catch (e) {
        return e instanceof ProtocolError ? [e.code, e.field] : e;
      }
      return 'no error';
    };
    expect(err({ promptTokens: [2 ** 32] })).toEqual([ProtocolErrorCode.OUT_OF_RANGE, 'promptTokens']);
    expect(err({ modelId: 'é'.repeat(40_000) })).toEqual([ProtocolErrorCode.OUT_OF_RANGE, 'modelId']);
    expect(err({ nonce: -1n })).toEqual([ProtocolErrorCode.OUT_OF_RANGE, 'nonce']);
  });
});
