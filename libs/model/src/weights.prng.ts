import { createHash } from 'node:crypto';
import { Xoshiro128StarStar } from '@aegis/protocol';

/**
 * The model builder's stream: xoshiro128** (@aegis/protocol) seeded per tensor from
 * sha256(seed, tensor name), so the weights are identical on every platform and Node version (no
 * Math.random, no transcendental functions whose last bit could differ between libm builds).
 */
export class WeightPrng {
  private readonly prng: Xoshiro128StarStar;

  constructor(seed: string, stream: string) {
    const digest = createHash('sha256').update(`aegis/model-weights/v1\0${seed}\0${stream}`).digest();
    this.prng = new Xoshiro128StarStar(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12));
  }

  nextUint32(): number {
    return this.prng.nextUint32();
  }

  /** Uniform in [-1, 1): exact in float64 (a 32-bit integer times a power of two). */
  nextSigned(): number {
    return this.prng.nextUint32() / 2 ** 31 - 1;
  }
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
