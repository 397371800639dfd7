import { describe, expect, it } from 'vitest';
import { Xoshiro128StarStar } from './xoshiro128';

describe('Xoshiro128StarStar', () => {
  it('matches the reference algorithm from state (1, 2, 3, 4)', () => {
    // Worked by hand from Blackman and Vigna's xoshiro128starstar.c: result = rotl(s1 * 5, 7) * 9,
    // then the state update. Step 1: rotl(10, 7) * 9 = 11520; step 2: s1 = 0 -> 0;
    // step 3: s1 = 1029 -> rotl(5145, 7) * 9 = 5927040.
    const prng = new Xoshiro128StarStar(1, 2, 3, 4);
    expect([prng.nextUint32(), prng.nextUint32(), prng.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('stays in [0, 2^32) and never sticks at zero from the all-zero state', () => {
    const prng = new Xoshiro128StarStar(0, 0, 0, 0);
    const draws = Array.from({ length: 1000 }, () => prng.nextUint32());
    expect(draws.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
    expect(new Set(draws).size).toBeGreaterThan(990);
  });

  it('is a pure function of its state', () => {
    const a = new Xoshiro128StarStar(0xdeadbeef, 7, 0xffffffff, 42);
    const b = new Xoshiro128StarStar(0xdeadbeef, 7, 0xffffffff, 42);
    for (let i = 0; i < 100; i++) expect(a.nextUint32()).toBe(b.nextUint32());
  });
});
