import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asliDistribution, roundHalfEven, sampleToken, tokenInterval, WEIGHT_SCALE, type AsliDistribution } from './asli.sampler';
import { asliSeed, stepRandom, uniformOf } from './asli.seed';
import { ProtocolError } from './protocol.errors';

const TWO64 = 1n << 64n;
const u64 = fc.bigInt({ min: 0n, max: TWO64 - 1n });
/** float32 logits on a coarse grid, so ties happen often enough to exercise the tie-break. */
const logitsArb = fc
  .array(fc.integer({ min: -64, max: 64 }), { minLength: 1, maxLength: 200 })
  .map((xs) => Float32Array.from(xs, (x) => x / 8));
const fineLogitsArb = fc
  .array(fc.float({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 })
  .map((xs) => Float32Array.from(xs));

/** The spec read literally: sort every token by (scaled desc, id asc) and keep K. */
function referenceTopK(logits: Float32Array, topK: number, temperatureMilli: number): number[] {
  const t = temperatureMilli / 1000;
  const s = Array.from(logits, (x) => x / t);
  return s
    .map((_, i) => i)
    .sort((a, b) => (s[b] as number) - (s[a] as number) || a - b)
    .slice(0, topK);
}

function argmaxLowestId(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

function sum(xs: Float64Array): number {
  return xs.reduce((a, b) => a + b, 0);
}

describe('roundHalfEven', () => {
  it('rounds ties to the even neighbour and everything else to nearest', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996, 2.5000000000000004].map(roundHalfEven)).toEqual([
      0, 2, 2, 0, -2, -2, 2, 3,
    ]);
    expect(Object.is(roundHalfEven(-0.25), 0)).toBe(true);
  });

  it('is within 1/2 of x, and exactly 1/2 only when it is even', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (x) => {
        const r = roundHalfEven(x);
        expect(Number.isInteger(r)).toBe(true);
        const d = Math.abs(r - x);
        expect(d).toBeLessThanOrEqual(0.5);
        if (d === 0.5) expect(r % 2).toBe(0);
      }),
    );
  });
});

describe('asliDistribution', () => {
  it('selects the same top-K, in the same order, as a full sort', () => {
    fc.assert(
      fc.property(fc.oneof(logitsArb, fineLogitsArb), fc.nat(), fc.integer({ min: 1, max: 10_000 }), (logits, k, temp) => {
        const topK = 1 + (k % logits.length);
        const dist = asliDistribution(logits, topK, temp);
        expect(Array.from(dist.tokens)).toEqual(referenceTopK(logits, topK, temp));
      }),
    );
  });

  it('computes the same distribution into a reused one (in place when K matches, fresh otherwise)', () => {
    let reused: AsliDistribution | undefined;
    fc.assert(
      fc.property(fc.oneof(logitsArb, fineLogitsArb), fc.nat(), fc.integer({ min: 0, max: 10_000 }), (logits, k, temp) => {
        const topK = 1 + (k % Math.min(4, logits.length));
        const fresh = asliDistribution(logits, topK, temp);
        const previous = reused;
        reused = asliDistribution(logits, topK, temp, reused);
        expect(Array.from(reused.tokens)).toEqual(Array.from(fresh.tokens));
        expect(Array.from(reused.weights)).toEqual(Array.from(fresh.weights));
        expect(reused.total).toBe(fresh.total);
        const sameK = previous !== undefined && previous.tokens.length === fresh.tokens.length;
        expect(reused === previous).toBe(sameK);
      }),
      { numRuns: 300 },
    );
  });

  it('has integer weights, non-increasing along the order, summing to W within K/2 of 2^32', () => {
    fc.assert(
      fc.property(fc.oneof(logitsArb, fineLogitsArb), fc.nat(), fc.integer({ min: 1, max: 10_000 }), (logits, k, temp) => {
        const topK = 1 + (k % logits.length);
        const { weights, total } = asliDistribution(logits, topK, temp);
        expect(weights.every((w) => Number.isInteger(w) && w >= 0)).toBe(true);
        for (let i = 1; i < weights.length; i++) expect(weights[i]).toBeLessThanOrEqual(weights[i - 1] as number);
        expect(total).toBe(sum(weights));
        expect(Math.abs(total - WEIGHT_SCALE)).toBeLessThanOrEqual(topK / 2 + 1);
      }),
    );
  });

  it('temperature 0 is argmax with the lowest id winning ties, weight 2^32', () => {
    fc.assert(
      fc.property(logitsArb, fc.nat(), (logits, k) => {
        const dist = asliDistribution(logits, 1 + (k % logits.length), 0);
        expect(Array.from(dist.tokens)).toEqual([argmaxLowestId(logits)]);
        expect(Array.from(dist.weights)).toEqual([WEIGHT_SCALE]);
        expect(dist.total).toBe(WEIGHT_SCALE);
      }),
    );
  });

  it('is deterministic and does not modify the logits', () => {
    fc.assert(
      fc.property(fineLogitsArb, fc.integer({ min: 1, max: 10_000 }), (logits, temp) => {
        const before = Float32Array.from(logits);
        const a = asliDistribution(logits, logits.length, temp);
        const b = asliDistribution(logits, logits.length, temp);
        expect(a).toEqual(b);
        expect(logits).toEqual(before);
      }),
    );
  });

  it('treats -Infinity as a masked token with weight 0 and rejects NaN, +Infinity and all-masked input', () => {
    const dist = asliDistribution(Float32Array.from([-Infinity, 1, -Infinity, 0]), 4, 1000);
    expect(Array.from(dist.tokens)).toEqual([1, 3, 0, 2]);
    expect(Array.from(dist.weights.subarray(2))).toEqual([0, 0]);
    for (const bad of [NaN, Infinity]) {
      expect(() => asliDistribution(Float32Array.from([0, 1, bad, 2]), 2, 1000)).toThrow(ProtocolError);
      expect(() => asliDistribution(Float32Array.from([bad, 1, 0, 2]), 2, 0)).toThrow(ProtocolError);
    }
    expect(() => asliDistribution(Float32Array.from([-Infinity, -Infinity]), 2, 1000)).toThrow(ProtocolError);
  });

  it('rejects topK outside [1, logits.length] and bad temperatures, naming the field', () => {
    const logits = Float32Array.from([1, 2, 3]);
    for (const [k, t, field] of [
      [0, 1000, 'topK'],
      [4, 1000, 'topK'],
      [1.5, 1000, 'topK'],
      [2, -1, 'temperatureMilli'],
      [2, 0.5, 'temperatureMilli'],
    ] as const) {
      expect(() => asliDistribution(logits, k, t)).toThrow(expect.objectContaining({ field }));
    }
  });
});

describe('sampleToken', () => {
  const distArb = fc
    .array(fc.integer({ min: 0, max: 2 ** 33 }), { minLength: 1, maxLength: 50 })
    .filter((ws) => ws.some((w) => w > 0))
    .map((ws): AsliDistribution => ({
      tokens: Int32Array.from(ws, (_, i) => 1000 + i * 7),
      weights: Float64Array.from(ws),
      total: ws.reduce((a, b) => a + b, 0),
    }));

  it('always returns a top-K token with non-zero weight', () => {
    fc.assert(
      fc.property(distArb, u64, (dist, u) => {
        const token = sampleToken(dist, u);
        const j = dist.tokens.indexOf(token);
        expect(j).toBeGreaterThanOrEqual(0);
        expect(dist.weights[j]).toBeGreaterThan(0);
      }),
    );
  });

  it('matches the exact rule at every CDF boundary: token j owns u in [ceil(cum_{j-1} 2^64 / W), ceil(cum_j 2^64 / W))', () => {
    fc.assert(
      fc.property(distArb, (dist) => {
        const W = BigInt(dist.total);
        let cum = 0n;
        for (let j = 0; j < dist.weights.length; j++) {
          const lo = (cum * TWO64 + W - 1n) / W;
          cum += BigInt(dist.weights[j] as number);
          const hi = (cum * TWO64 + W - 1n) / W;
          if (hi === lo) continue; // zero weight: owns no u
          expect(sampleToken(dist, lo)).toBe(dist.tokens[j]);
          expect(sampleToken(dist, hi - 1n)).toBe(dist.tokens[j]);
        }
      }),
    );
  });

  it("agrees with tokenInterval: U lies in the sampled token's [lo, hi) up to float64 rounding", () => {
    fc.assert(
      fc.property(logitsArb, fc.integer({ min: 1, max: 10_000 }), u64, (logits, temp, u) => {
        const dist = asliDistribution(logits, logits.length, temp);
        const interval = tokenInterval(dist, sampleToken(dist, u));
        expect(interval).not.toBeNull();
        const U = uniformOf(u);
        expect(U).toBeGreaterThanOrEqual((interval?.lo ?? 0) - 1e-15);
        expect(U).toBeLessThan((interval?.hi ?? 0) + 1e-15);
      }),
    );
    expect(tokenInterval(asliDistribution(Float32Array.from([1, 2, 3]), 2, 1000), 0)).toBeNull();
  });

  it('rejects u outside [0, 2^64)', () => {
    const dist = asliDistribution(Float32Array.from([1, 2]), 2, 1000);
    expect(() => sampleToken(dist, -1n)).toThrow(expect.objectContaining({ field: 'u' }));
    expect(() => sampleToken(dist, TWO64)).toThrow(expect.objectContaining({ field: 'u' }));
  });

  it('draws tokens with frequencies that fit the weights (chi-square, step randoms as U)', () => {
    const logits = Float32Array.from([2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -4, -4.5]);
    const dist = asliDistribution(logits, 6, 1000);
    const seed = asliSeed('0x00000000000000000000000000000000000000aa', new Uint8Array(32));
    const draws = 20_000;
    const counts = new Map<number, number>();
    for (let t = 0; t < draws; t++) {
      const token = sampleToken(dist, stepRandom(seed, t));
      counts.set(token, (counts.get(token) ?? 0) + 1);
    }
    let chi2 = 0;
    dist.tokens.forEach((token, j) => {
      const expected = (draws * (dist.weights[j] as number)) / dist.total;
      chi2 += ((counts.get(token) ?? 0) - expected) ** 2 / expected;
    });
    // 5 degrees of freedom: P(chi2 > 20.515) = 0.001. Fixed seed, so this is not flaky.
    expect(chi2).toBeLessThan(20.515);
    // And it is not vacuous: a distribution that is off by a few percent fails it.
    const skewed = { ...dist, weights: Float64Array.from(dist.weights, (w, j) => (j === 0 ? w * 0.9 : w)) };
    let chi2Skewed = 0;
    skewed.tokens.forEach((token, j) => {
      const expected = (draws * (skewed.weights[j] as number)) / sum(skewed.weights);
      chi2Skewed += ((counts.get(token) ?? 0) - expected) ** 2 / expected;
    });
    expect(chi2Skewed).toBeGreaterThan(20.515);
  });
});
