import { describe, expect, it } from 'vitest';
import { bootstrapMedianCi95 } from './asli.bench';

describe('bootstrapMedianCi95', () => {
  const noisy = [1.01, 0.98, 1.07, 1.12, 1.03, 0.95, 1.05, 1.2, 1.04, 1.0, 1.06, 0.99, 1.08, 1.02, 1.1];

  it('brackets the median, and gives the same interval for the same runs', () => {
    const [lo, hi] = bootstrapMedianCi95(noisy);
    expect(lo).toBeLessThanOrEqual(1.04);
    expect(hi).toBeGreaterThanOrEqual(1.04);
    expect(lo).toBeLessThan(hi);
    expect(bootstrapMedianCi95(noisy)).toEqual([lo, hi]);
  });

  it('narrows as the runs agree, down to a point for identical ones', () => {
    const tight = noisy.map((x) => 1.04 + (x - 1.04) / 10);
    const [lo, hi] = bootstrapMedianCi95(noisy);
    const [tlo, thi] = bootstrapMedianCi95(tight);
    expect(thi - tlo).toBeLessThan(hi - lo);
    expect(bootstrapMedianCi95([1.5, 1.5, 1.5])).toEqual([1.5, 1.5]);
  });

  it('refuses an empty list', () => {
    expect(() => bootstrapMedianCi95([])).toThrow('no values');
  });
});
