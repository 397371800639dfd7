import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { probePositions, quantize, type ProbeShape, u64Mod } from './asli.probes';
import { readU64be } from './bytes';

const shapeArb: fc.Arbitrary<ProbeShape> = fc.record({
  layers: fc.integer({ min: 1, max: 80 }),
  positions: fc.integer({ min: 1, max: 8192 }),
  hidden: fc.integer({ min: 1, max: 8192 }),
});
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('probePositions', () => {
  it('is deterministic, in range, and a prefix of any longer draw', () => {
    fc.assert(
      fc.property(seedArb, shapeArb, fc.nat({ max: 40 }), (seed, shape, count) => {
        const ps = probePositions(seed, count, shape);
        expect(ps).toHaveLength(count);
        for (const p of ps) {
          expect(p.layer >= 0 && p.layer < shape.layers).toBe(true);
          expect(p.position >= 0 && p.position < shape.positions).toBe(true);
          expect(p.index >= 0 && p.index < shape.hidden).toBe(true);
        }
        expect(probePositions(seed, count, shape)).toEqual(ps);
        expect(probePositions(seed, count + 3, shape).slice(0, count)).toEqual(ps);
      }),
    );
  });

  it('covers every layer of a small shape (positions are spread, not stuck)', () => {
    const ps = probePositions(new Uint8Array(32).fill(7), 200, { layers: 4, positions: 5, hidden: 3 });
    expect(new Set(ps.map((p) => p.layer)).size).toBe(4);
    expect(new Set(ps.map((p) => p.position)).size).toBe(5);
    expect(new Set(ps.map((p) => p.index)).size).toBe(3);
  });

  it('rejects empty or oversized shapes, naming the dimension', () => {
    expect(() => probePositions(new Uint8Array(32), 1, { layers: 0, positions: 1, hidden: 1 })).toThrow(
      expect.objectContaining({ field: 'shape.layers' }),
    );
    expect(() => probePositions(new Uint8Array(32), 1, { layers: 65537, positions: 1, hidden: 1 })).toThrow(
      expect.objectContaining({ field: 'shape.layers' }),
    );
    expect(() => probePositions(new Uint8Array(32), 1, { layers: 1, positions: 1.5, hidden: 1 })).toThrow(
      expect.objectContaining({ field: 'shape.positions' }),
    );
  });
});

describe('quantize', () => {
  it('is within half a unit of h * 2^q and exact on the grid', () => {
    fc.assert(
      fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.integer({ min: 0, max: 20 }), (h, q) => {
        const v = quantize(h, q);
        expect(Math.abs(v - h * 2 ** q)).toBeLessThanOrEqual(0.5);
        expect(quantize(v / 2 ** q, q)).toBe(v);
      }),
    );
  });

  it('rounds ties to even and refuses values outside int32 or non-finite', () => {
    expect([0.5, 1.5, -0.5, -1.5].map((h) => quantize(h / 256, 8))).toEqual([0, 2, 0, -2]);
    expect(quantize(-32768, 16)).toBe(-(2 ** 31));
    expect(() => quantize(32768, 16)).toThrow(expect.objectContaining({ field: 'h' }));
    expect(() => quantize(NaN, 16)).toThrow(expect.objectContaining({ field: 'h' }));
    expect(() => quantize(1, -1)).toThrow(expect.objectContaining({ field: 'q' }));
  });
});

describe('u64Mod', () => {
  it('equals the BigInt u64be(h[at..at+8]) mod m for every modulus up to 2^32', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.integer({ min: 0, max: 24 }),
        fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 2 ** 32 })),
        (h, at, m) => {
          const big = Number(readU64be(h, at) % BigInt(m));
          expect(u64Mod(h, at, m)).toBe(big);
        },
      ),
    );
    const ones = new Uint8Array(32).fill(255);
    expect(u64Mod(ones, 0, 2 ** 32)).toBe(2 ** 32 - 1);
    expect(u64Mod(ones, 0, 2 ** 32 - 1)).toBe(0);
  });
});
