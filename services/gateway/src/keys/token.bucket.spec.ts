import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token.bucket';

describe('TokenBuckets (per-key rate limit)', () => {
  it('allows a burst, then one request per 1/rate seconds, each key on its own', () => {
    let now = 0;
    const buckets = new TokenBuckets(2, 3, () => now);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBeCloseTo(0.5);
    expect(buckets.take('b')).toBe(0);
    now += 500;
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBeGreaterThan(0);
    now += 10_000;
    // Refill stops at the burst size.
    expect([0, 1, 2, 3].map(() => buckets.take('a'))).toEqual([0, 0, 0, expect.any(Number)]);
  });
});
