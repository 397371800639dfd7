import { ByteWriter, concatBytes, isInt32, isU64, u32be, u64be } from './bytes';
import { keccak256 } from './hash';
import { addressBytes, type Address } from './identity';
import { positionFromHash, type ProbePosition, type ProbeShape, validateProbeShape } from './asli.probes';
import { invalidField, ProtocolError, ProtocolErrorCode } from './protocol.errors';

/** Default grinding budget: 2^20 tries, ~1000x the expected 2^10 at the design's difficulty. */
export const DEFAULT_POW_MAX_TRIES = 1 << 20;

function checkDigest(d: Uint8Array): void {
  if (!(d instanceof Uint8Array) || d.length !== 32) throw invalidField('submissionDigest', 'must be 32 bytes');
}

function checkNonce(nonce: bigint): void {
  if (!isU64(nonce)) throw invalidField('nonce', 'must be a bigint in [0, 2^64)', ProtocolErrorCode.OUT_OF_RANGE);
}

/**
 * Verifier V's probe positions for try `nonce` on submission S: position i comes from
 * keccak256(V (20 bytes) || S.digest || u64be(nonce) || u32be(i)), mapped like ASLI probes.
 * A new nonce gives new positions, so grinding needs the whole hidden state.
 */
export function powPositions(
  verifier: Address,
  submissionDigest: Uint8Array,
  nonce: bigint,
  count: number,
  shape: ProbeShape,
): ProbePosition[] {
  checkDigest(submissionDigest);
  checkNonce(nonce);
  validateProbeShape(shape);
  if (!Number.isInteger(count) || count < 0 || count > 0xffff_ffff) {
    throw invalidField('count', 'must be an integer in [0, 2^32)', ProtocolErrorCode.OUT_OF_RANGE);
  }
  const prefix = concatBytes(addressBytes(verifier, 'verifier'), submissionDigest, u64be(nonce));
  const out: ProbePosition[] = [];
  for (let i = 0; i < count; i++) out.push(positionFromHash(keccak256(concatBytes(prefix, u32be(i))), shape));
  return out;
}

/** keccak256(V (20 bytes) || S.digest || u64be(nonce) || i32be(value) for each value). */
export function powHash(verifier: Address, submissionDigest: Uint8Array, nonce: bigint, values: readonly number[]): Uint8Array {
  checkDigest(submissionDigest);
  checkNonce(nonce);
  const w = new ByteWriter().bytes(addressBytes(verifier, 'verifier')).bytes(submissionDigest).u64(nonce, 'nonce');
  for (const v of values) w.i32(v, 'values');
  return keccak256(w.finish());
}

/** At least `bits` leading zero bits, i.e. hash < 2^(256 - bits) as a big-endian integer. */
export function meetsDifficulty(hash: Uint8Array, bits: number): boolean {
  if (!Number.isInteger(bits) || bits < 0 || bits > 256) {
    throw invalidField('bits', 'must be an integer in [0, 256]', ProtocolErrorCode.OUT_OF_RANGE);
  }
  if (hash.length * 8 < bits) return false;
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (hash[i] !== 0) return false;
  const rest = bits & 7;
  return rest === 0 || ((hash[full] as number) >> (8 - rest)) === 0;
}

/** The PoW check on a verdict's (nonce, values); the audit of the values themselves is separate. */
export function verifyPow(
  verifier: Address,
  submissionDigest: Uint8Array,
  nonce: bigint,
  values: readonly number[],
  bits: number,
): boolean {
  return meetsDifficulty(powHash(verifier, submissionDigest, nonce, values), bits);
}

export interface PowSolution {
  nonce: bigint;
  values: number[];
  tries: number;
}

/**
 * Tries nonces 0, 1, 2, ... until powHash meets `bits`. `valuesAt` reads the quantised hidden
 * state at the given positions (from the verifier's teacher-forced pass) and must return one
 * int32 per position. Throws POW_EXHAUSTED after `maxTries`.
 */
export function grindPow(
  verifier: Address,
  submissionDigest: Uint8Array,
  shape: ProbeShape,
  count: number,
  bits: number,
  valuesAt: (positions: ProbePosition[]) => number[],
  maxTries = DEFAULT_POW_MAX_TRIES,
): PowSolution {
  if (!Number.isInteger(maxTries) || maxTries < 1) {
    throw invalidField('maxTries', 'must be a positive integer', ProtocolErrorCode.OUT_OF_RANGE);
  }
  for (let tries = 1; tries <= maxTries; tries++) {
    const nonce = BigInt(tries - 1);
    const positions = powPositions(verifier, submissionDigest, nonce, count, shape);
    const values = valuesAt(positions);
    if (values.length !== positions.length || !values.every(isInt32)) {
      throw invalidField('valuesAt', `must return ${positions.length} int32 values`, ProtocolErrorCode.OUT_OF_RANGE);
    }
    if (meetsDifficulty(powHash(verifier, submissionDigest, nonce, values), bits)) return { nonce, values, tries };
  }
  throw new ProtocolError(ProtocolErrorCode.POW_EXHAUSTED, `no nonce met ${bits} bits in ${maxTries} tries`, 'nonce');
}
