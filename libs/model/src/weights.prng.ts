import { createHash } from 'node:crypto';

/**
 * xoshiro128** seeded per tensor from sha256(seed, tensor name). 32-bit integer arithmetic only,
 * so the stream is identical on every platform and Node version (no Math.random, no
 * transcendental functions whose last bit could differ between libm builds).
 */
export class WeightPrng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: string, stream: string) {
    const digest = createHash('sha256').update(`aegis/model-weights/v1\0${seed}\0${stream}`).digest();
    this.s0 = digest.readUInt32LE(0);
    this.s1 = digest.readUInt32LE(4);
    this.s2 = digest.readUInt32LE(8);
    this.s3 = digest.readUInt32LE(12);
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

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

  /** Uniform in [-1, 1): exact in float64 (a 32-bit integer times a power of two). */
  nextSigned(): number {
    return this.nextUint32() / 2 ** 31 - 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * `count` weights uniform with the given standard deviation (PyTorch's nn.Linear default init is
 * uniform too): U(-a, a) has std a/sqrt(3).
 */
export function uniformWeights(seed: string, stream: string, count: number, std: number, mean = 0): Float32Array {
  const prng = new WeightPrng(seed, stream);
  const bound = std * Math.sqrt(3);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = mean + bound * prng.nextSigned();
  return out;
}
