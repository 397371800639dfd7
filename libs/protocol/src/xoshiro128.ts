/**
 * xoshiro128** (Blackman and Vigna, 2018): the one 32-bit PRNG behind every seeded stream that is
 * not part of the protocol's signed data (built-in model weights, simulator runs, benchmark
 * resampling). 32-bit integer arithmetic only, so a stream is identical on every platform and
 * Node version. Callers derive the 128-bit state from a hash of their own seed and domain tag.
 * Not for keys or anything an adversary must not predict.
 */
export class Xoshiro128StarStar {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Four 32-bit state words (taken mod 2^32); the all-zero state is moved to s0 = 1. */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
    // From all zeros xoshiro only ever yields zeros.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next output, an integer in [0, 2^32). */
  nextUint32(): number {
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
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
