import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ProbePosition } from './asli.probes';
import { toHex } from './bytes';
import { keccak256 } from './hash';
import { grindPow, meetsDifficulty, powChainNext, powChainStart, powHash, powPositions, powReadPosition, verifyPow } from './pow';
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

describe('the PoW walk', () => {
  /** The honest walk for nonce n: read, hash the value in, read where the chain now points. */
  const valuesOf = (n: bigint, count: number): number[] => {
    let c = powChainStart(verifier, digest, n);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = hidden(powReadPosition(c, i, shape));
      values.push(v);
      c = powChainNext(c, v);
    }
    return values;
  };

  it('starts at the last layer and position, keeps three reads in four in the last layer', () => {
    const values = valuesOf(3n, 16);
    const positions = powPositions(verifier, digest, 3n, values, shape);
    expect(positions[0]).toMatchObject({ layer: shape.layers - 1, position: shape.positions - 1 });
    positions.forEach((p, i) => {
      if (i % 4 !== 0) expect(p.layer).toBe(shape.layers - 1);
    });
    // Even reads spread over the layers.
    const layers = new Set(
      Array.from({ length: 64 }, (_, n) => powPositions(verifier, digest, BigInt(n), valuesOf(BigInt(n), 5), shape)[4]?.layer),
    );
    expect(layers.size).toBe(shape.layers);
  });

  it('places each read by the values before it: another value moves every later read', () => {
    const values = valuesOf(0n, 16);
    const honest = powPositions(verifier, digest, 0n, values, shape);
    for (const at of [0, 5, 14]) {
      const altered = values.map((v, i) => (i === at ? v + 1 : v));
      const moved = powPositions(verifier, digest, 0n, altered, shape);
      expect(moved.slice(0, at + 1)).toEqual(honest.slice(0, at + 1));
      // Each later read moves with probability 1 - 1/(layers * positions * hidden) or so.
      for (let i = at + 1; i < 16; i++) expect(moved[i]).not.toEqual(honest[i]);
      expect(toHex(powHash(verifier, digest, 0n, altered))).not.toBe(toHex(powHash(verifier, digest, 0n, values)));
    }
  });

  it('changes with the nonce and the verifier', () => {
    const a = powPositions(verifier, digest, 0n, [1, 2, 3, 4], shape);
    expect(powPositions(verifier, digest, 1n, [1, 2, 3, 4], shape)).not.toEqual(a);
    expect(powPositions('0x' + '22'.repeat(20), digest, 0n, [1, 2, 3, 4], shape)).not.toEqual(a);
    expect(powPositions(verifier, digest, 0n, [1, 2, 3, 4], shape)).toEqual(a);
  });

  it('refuses bad inputs naming the field', () => {
    expect(() => powPositions(verifier, digest, 0n, [], shape)).toThrow(expect.objectContaining({ field: 'count' }));
    expect(() => powPositions(verifier, digest, 0n, [2 ** 31], shape)).toThrow(expect.objectContaining({ field: 'values' }));
    expect(() => powPositions(verifier, digest, -1n, [1], shape)).toThrow(expect.objectContaining({ field: 'nonce' }));
    expect(() => powPositions(verifier, digest.subarray(1), 0n, [1], shape)).toThrow(
      expect.objectContaining({ field: 'submissionDigest' }),
    );
    expect(verifyPow(verifier, digest, 0n, [], 0)).toBe(false);
  });
});

describe('grindPow', () => {
  it("returns the first nonce that meets the target, with the values read along that nonce's walk", () => {
    const bits = 6;
    const sol = grindPow(verifier, digest, shape, 4, bits, hidden);
    expect(sol.tries).toBe(Number(sol.nonce) + 1);
    expect(sol.values).toEqual(powPositions(verifier, digest, sol.nonce, sol.values, shape).map(hidden));
    expect(verifyPow(verifier, digest, sol.nonce, sol.values, bits)).toBe(true);
    for (let n = 0n; n < sol.nonce; n++) {
      let c = powChainStart(verifier, digest, n);
      for (let i = 0; i < 4; i++) c = powChainNext(c, hidden(powReadPosition(c, i, shape)));
      expect(meetsDifficulty(c, bits)).toBe(false);
    }
  });

  it('a proof with other values or another verifier fails', () => {
    const bits = 6;
    const sol = grindPow(verifier, digest, shape, 4, bits, hidden);
    const forged = sol.values.map((v) => v + 1);
    // Not a certainty for one try (2^-6 chance), so check the honest proof is tied to its inputs.
    expect(toHex(powHash(verifier, digest, sol.nonce, forged))).not.toBe(toHex(powHash(verifier, digest, sol.nonce, sol.values)));
    expect(toHex(powHash('0x' + '22'.repeat(20), digest, sol.nonce, sol.values))).not.toBe(
      toHex(powHash(verifier, digest, sol.nonce, sol.values)),
    );
  });

  it('gives up after maxTries and checks what valueAt returns', () => {
    expect(() => grindPow(verifier, digest, shape, 2, 256, hidden, 5)).toThrow(
      expect.objectContaining({ code: ProtocolErrorCode.POW_EXHAUSTED }),
    );
    expect(() => grindPow(verifier, digest, shape, 2, 1, () => 2 ** 31)).toThrow(expect.objectContaining({ field: 'valueAt' }));
    expect(() => grindPow(verifier, digest, shape, 2, 1, () => 0.5)).toThrow(expect.objectContaining({ field: 'valueAt' }));
  });

  it('takes about 2^bits tries on average', () => {
    const bits = 5;
    let total = 0;
    const runs = 200;
    for (let i = 0; i < runs; i++) {
      total += grindPow(verifier, keccak256(Uint8Array.of(i, 1)), shape, 2, bits, hidden).tries;
    }
    // Geometric with mean 32 and sd ~31.5: the mean of 200 runs has sd ~2.2; fixed inputs, not flaky.
    expect(total / runs).toBeGreaterThan(24);
    expect(total / runs).toBeLessThan(40);
  });
});
