import { keccak256, utf8, Xoshiro128StarStar } from '@aegis/protocol';

/**
 * xoshiro128** (@aegis/protocol) seeded from keccak256(seed): fast, 32-bit only (no bigint in
 * the hot loop), and reproducible from a string, so a reported run can be re-run exactly with --seed.
 */
export class SimRng {
  private readonly prng: Xoshiro128StarStar;

  constructor(seed: string) {
    const h = keccak256(utf8(`aegis/sim/rng/v1/${seed}`));
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
    this.prng = new Xoshiro128StarStar(v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12) | 1);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.prng.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = xs[i] as T;
      xs[i] = xs[j] as T;
      xs[j] = tmp;
    }
    return xs;
  }
}
