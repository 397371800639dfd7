import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asliSeed, stepRandom, uniformOf } from './asli.seed';
import { equalBytes, toHex } from './bytes';

const addressArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map(toHex);
const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('asliSeed', () => {
  it('differs for different nodes on the same task, and for different tasks of the same node', () => {
    fc.assert(
      fc.property(addressArb, addressArb, hashArb, hashArb, (a, b, t1, t2) => {
        expect(equalBytes(asliSeed(a, t1), asliSeed(b, t1))).toBe(a === b);
        expect(equalBytes(asliSeed(a, t1), asliSeed(a, t2))).toBe(equalBytes(t1, t2));
      }),
    );
  });

  it('rejects a non-canonical address or a task hash of the wrong length', () => {
    expect(() => asliSeed('0x' + 'AA'.repeat(20), new Uint8Array(32))).toThrow(expect.objectContaining({ field: 'node' }));
    expect(() => asliSeed('0x' + 'aa'.repeat(20), new Uint8Array(31))).toThrow(expect.objectContaining({ field: 'taskHash' }));
  });
});

describe('stepRandom', () => {
  it('is deterministic, differs across steps and stays in [0, 2^64)', () => {
    fc.assert(
      fc.property(hashArb, fc.nat({ max: 0xfffffffe }), (seed, t) => {
        const u = stepRandom(seed, t);
        expect(stepRandom(seed, t)).toBe(u);
        expect(stepRandom(seed, t + 1)).not.toBe(u);
        expect(u >= 0n && u < 1n << 64n).toBe(true);
        const U = uniformOf(u);
        expect(U >= 0 && U <= 1).toBe(true);
      }),
    );
  });

  it('rejects step indexes outside u32', () => {
    for (const t of [-1, 2 ** 32, 0.5]) expect(() => stepRandom(new Uint8Array(32), t)).toThrow(expect.objectContaining({ field: 't' }));
  });
});
