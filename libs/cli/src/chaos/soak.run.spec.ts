import { describe, expect, it } from 'vitest';
import { percentile, residentMiB } from './soak.run';

describe('soak figures', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNull();
  });

  it("reads this process's resident memory, and null for a pid that is not there", () => {
    const mine = residentMiB(process.pid);
    expect(mine).toBeGreaterThan(10);
    expect(residentMiB(2 ** 30)).toBeNull();
  });
});
