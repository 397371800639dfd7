import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ProbePosition } from './asli.probes';
import { toHex } from './bytes';
import { keccak256 } from './hash';
import { grindPow, meetsDifficulty, powHash, powPositions, verifyPow } from './pow';
import { ProtocolErrorCode } from './protocol.errors';

const verifier = '0x' + '11'.repeat(20);
const digest = keccak256(new Uint8Array([42]));
const shape = { layers: 8, positions: 100, hidden: 256 };
/** A stand-in hidden state: any fixed function of the position. */
const hidden = (p: ProbePosition): number => ((p.layer * 7919 + p.position * 104729 + p.index) % 65536) - 32768;

describe('meetsDifficulty', () => {
  it('counts leading zero bits exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 256 }), (h, bits) => {
        const n = BigInt(toHex(h));
        const leading = 256 - n.toString(2).length + (n === 0n ? 1 : 0);
        expect(meetsDifficulty(h, bits)).toBe(leading >= bits);
      }),
    );
    expect(meetsDifficulty(Uint8Array.from([0, 0x0f, ...new Array<number>(30).fill(255)]), 12)).toBe(true);
    expect(meetsDifficulty(Uint8Array.from([0, 0x10, ...new Array<number>(30).fill(0)]), 12)).toBe(false);
  });
});

describe('powPositions', () => {
  it('change with the nonce and the verifier', () => {
    const a = powPositions(verifier, digest, 0n, 16, shape);
    expect(powPositions(verifier, digest, 1n, 16, shape)).not.toEqual(a);
    expect(powPositions('0x' + '22'.repeat(20), digest, 0n, 16, shape)).not.toEqual(a);
    expect(powPositions(verifier, digest, 0n, 16, shape)).toEqual(a);
  });
});

describe('grindPow', () => {
  it('returns the first nonce that meets the target, with the values read at that nonce\'s positions', () => {
    const bits = 6;
    const sol = grindPow(verifier, digest, shape, 4, bits, (ps) => ps.map(hidden));
    expect(sol.tries).toBe(Number(sol.nonce) + 1);
    expect(sol.values).toEqual(powPositions(verifier, digest, sol.nonce, 4, shape).map(hidden));
    expect(verifyPow(verifier, digest, sol.nonce, sol.values, bits)).toBe(true);
    for (let n = 0n; n < sol.nonce; n++) {
      const values = powPositions(verifier, digest, n, 4, shape).map(hidden);
      expect(meetsDifficulty(powHash(verifier, digest, n, values), bits)).toBe(false);
    }
  });

  it('a proof with values from the wrong positions or another verifier fails', () => {
    const bits = 6;
    const sol = grindPow(verifier, digest, shape, 4, bits, (ps) => ps.map(hidden));
    const forged = sol.values.map((v) => v + 1);
    // Not a certainty for one try (2^-6 chance), so check the honest proof is tied to its inputs.
    expect(toHex(powHash(verifier, digest, sol.nonce, forged))).not.toBe(toHex(powHash(verifier, digest, sol.nonce, sol.values)));
    expect(toHex(powHash('0x' + '22'.repeat(20), digest, sol.nonce, sol.values))).not.toBe(
      toHex(powHash(verifier, digest, sol.nonce, sol.values)),
    );
  });

  it('gives up after maxTries and checks what valuesAt returns', () => {
    expect(() => grindPow(verifier, digest, shape, 2, 256, (ps) => ps.map(hidden), 5)).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.POW_EXHAUSTED }),
    );
    expect(() => grindPow(verifier, digest, shape, 2, 1, () => [1])).toThrow(expect.objectContaining({ field: 'valuesAt' }));
    expect(() => grindPow(verifier, digest, shape, 2, 1, () => [1, 2 ** 31])).toThrow(expect.objectContaining({ field: 'valuesAt' }));
  });

  it('takes about 2^bits tries on average', () => {
    const bits = 5;
    let total = 0;
    const runs = 200;
    for (let i = 0; i < runs; i++) {
      total += grindPow(verifier, keccak256(Uint8Array.of(i, 1)), shape, 2, bits, (ps) => ps.map(hidden)).tries;
    }
    // Geometric with mean 32 and sd ~31.5: the mean of 200 runs has sd ~2.2; fixed inputs, not flaky.
    expect(total / runs).toBeGreaterThan(24);
    expect(total / runs).toBeLessThan(40);
  });
});
