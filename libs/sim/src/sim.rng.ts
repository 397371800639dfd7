import { keccak256, utf8 } from '@aegis/protocol';

/**
 * xoshiro128** seeded from keccak256(seed): fast, 32-bit only (no bigint in the hot loop), and
 * reproducible from a string, so a reported run can be re-run exactly with --seed.
 */
export class SimRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: string) {
    const h = keccak256(utf8(`aegis/sim/rng/v1/${seed}`));
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
    this.s0 = v.getUint32(0);
    this.s1 = v.getUint32(4);
    this.s2 = v.getUint32(8);
    this.s3 = v.getUint32(12) | 1; // never the all-zero state
  }

  private nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
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

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
