import { concatBytes, readU64be, u32be, U64_MAX, utf8 } from './bytes';
import { keccak256 } from './hash';
import { addressBytes, type Address } from './identity';
import { invalidField, ProtocolErrorCode } from './protocol.errors';

export const SEED_DOMAIN = 'asli/seed/v1';
const STEP_TAG = utf8('step');
const TWO_POW_64 = 2 ** 64;

function assert32(b: Uint8Array, field: string): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw invalidField(field, 'must be 32 bytes');
}

/**
 * seed = keccak256("asli/seed/v1" || node address (20 bytes) || task hash). Binding the node's
 * address means a copied output samples with someone else's randomness and fails verification.
 */
export function asliSeed(node: Address, taskHash: Uint8Array): Uint8Array {
  assert32(taskHash, 'taskHash');
  return keccak256(concatBytes(utf8(SEED_DOMAIN), addressBytes(node, 'node'), taskHash));
}

/** Raw draw for decode step t: the first 8 bytes (big-endian) of keccak256(seed || "step" || u32be(t)). */
export function stepRandom(seed: Uint8Array, t: number): bigint {
  assert32(seed, 'seed');
  if (!Number.isInteger(t) || t < 0 || t > 0xffff_ffff) {
    throw invalidField('t', 'must be an integer in [0, 2^32)', ProtocolErrorCode.OUT_OF_RANGE);
  }
  return readU64be(keccak256(concatBytes(seed, STEP_TAG, u32be(t))), 0);
}

/**
 * U_t = u / 2^64 as float64 (rounded to nearest). For display and the verifier's eps check only;
 * sampling compares integers exactly (sampleToken).
 */
export function uniformOf(u: bigint): number {
  if (u < 0n || u > U64_MAX) throw invalidField('u', 'must be in [0, 2^64)', ProtocolErrorCode.OUT_OF_RANGE);
  return Number(u) / TWO_POW_64;
}
