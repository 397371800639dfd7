import { concatBytes, isInt32, isU64, u64be, utf8 } from './bytes';
import { keccak256 } from './hash';
import { addressBytes, type Address } from './identity';
import { type ProbePosition, type ProbeShape, u64Mod, validateProbeShape } from './asli.probes';
import { invalidField, ProtocolError, ProtocolErrorCode } from './protocol.errors';

/** Default grinding budget: 2^20 tries, ~1000x the expected 2^10 at the design's difficulty. */
export const DEFAULT_POW_MAX_TRIES = 1 << 20;

const POW_DOMAIN = utf8('aegis/pow/v2');

function checkDigest(d: Uint8Array): void {
  if (!(d instanceof Uint8Array) || d.length !== 32) throw invalidField('submissionDigest', 'must be 32 bytes');
}

function checkNonce(nonce: bigint): void {
  if (!isU64(nonce)) throw invalidField('nonce', 'must be a bigint in [0, 2^64)', ProtocolErrorCode.OUT_OF_RANGE);
}

function checkChain(c: Uint8Array): void {
  if (!(c instanceof Uint8Array) || c.length !== 32) throw invalidField('chain', 'must be 32 bytes');
}

/**
 * The PoW is a walk through the verifier's hidden state in which each read's place depends on
 * every value read before it (docs/protocol.md, "Proof of work"):
 *
 *   c_0     = keccak256("aegis/pow/v2" || V (20 bytes) || D || u64be(nonce))
 *   read i  = powReadPosition(c_i, i, shape)
 *   c_{i+1} = keccak256(c_i || i32be(value_i))
 *   powHash = c_count
 *
 * Read 0 is the last layer at the last consumed position (through attention it depends on every
 * input and every layer below), three reads in four are in the last layer, the rest anywhere. A nonce's
 * later positions are unknown until its earlier values are read, so a verifier cannot sort nonces
 * by where they look before it has the values: it must hold them.
 */
export function powChainStart(verifier: Address, submissionDigest: Uint8Array, nonce: bigint): Uint8Array {
  checkDigest(submissionDigest);
  checkNonce(nonce);
  return keccak256(concatBytes(POW_DOMAIN, addressBytes(verifier, 'verifier'), submissionDigest, u64be(nonce)));
}

/** c_{i+1} = keccak256(c_i || i32be(value_i)). */
export function powChainNext(chain: Uint8Array, value: number): Uint8Array {
  checkChain(chain);
  if (!isInt32(value)) throw invalidField('values', 'must be int32', ProtocolErrorCode.OUT_OF_RANGE);
  return step(chain, value);
}

// One preimage buffer for every step: keccak256 reads it before returning, and JS is single-threaded.
const STEP = new Uint8Array(36);
const STEP_VIEW = new DataView(STEP.buffer);

/** powChainNext without the checks, for the loops that already made them (a read is ~2 us of work). */
function step(chain: Uint8Array, value: number): Uint8Array {
  STEP.set(chain, 0);
  STEP_VIEW.setInt32(32, value, false);
  return keccak256(STEP);
}

/**
 * Where read `i` looks, from chain value c_i: index = u64be(c_i[16..24]) mod hidden always;
 * read 0 at (layers - 1, positions - 1); other reads at position u64be(c_i[8..16]) mod positions,
 * in layer u64be(c_i[0..8]) mod layers when i is a multiple of 4 and in the last layer otherwise.
 * The last layer is the only one a partial pass can skip and still reach read 0 (nothing above
 * depends on it), so three reads in four are there; read 0 pins the one cell that depends on the
 * whole sequence; every fourth read checks a layer below directly.
 */
export function powReadPosition(chain: Uint8Array, i: number, shape: ProbeShape): ProbePosition {
  checkChain(chain);
  return place(chain, i, shape);
}

function place(c: Uint8Array, i: number, shape: ProbeShape): ProbePosition {
  const index = u64Mod(c, 16, shape.hidden);
  if (i === 0) return { layer: shape.layers - 1, position: shape.positions - 1, index };
  const layer = i % 4 === 0 ? u64Mod(c, 0, shape.layers) : shape.layers - 1;
  return { layer, position: u64Mod(c, 8, shape.positions), index };
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > 0xffff) {
    throw invalidField('count', 'must be an integer in [1, 65535]', ProtocolErrorCode.OUT_OF_RANGE);
  }
}

/**
 * The positions a verdict's `values` were read at: the walk replayed with the claimed values
 * (what an auditor recomputes at, before comparing its own values within tolerance).
 */
export function powPositions(
  verifier: Address,
  submissionDigest: Uint8Array,
  nonce: bigint,
  values: readonly number[],
  shape: ProbeShape,
): ProbePosition[] {
  validateProbeShape(shape);
  checkCount(values.length);
  if (!values.every(isInt32)) throw invalidField('values', 'must be int32', ProtocolErrorCode.OUT_OF_RANGE);
  let c = powChainStart(verifier, submissionDigest, nonce);
  const out: ProbePosition[] = [];
  for (let i = 0; i < values.length; i++) {
    out.push(place(c, i, shape));
    c = step(c, values[i] as number);
  }
  return out;
}

/** c_count for the claimed values: the hash the difficulty applies to. */
export function powHash(verifier: Address, submissionDigest: Uint8Array, nonce: bigint, values: readonly number[]): Uint8Array {
  if (!values.every(isInt32)) throw invalidField('values', 'must be int32', ProtocolErrorCode.OUT_OF_RANGE);
  let c = powChainStart(verifier, submissionDigest, nonce);
  for (const v of values) c = step(c, v);
  return c;
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
  return rest === 0 || (hash[full] as number) >> (8 - rest) === 0;
}

/** The PoW check on a verdict's (nonce, values); the audit of the values themselves is separate. */
export function verifyPow(
  verifier: Address,
  submissionDigest: Uint8Array,
  nonce: bigint,
  values: readonly number[],
  bits: number,
): boolean {
  return values.length > 0 && meetsDifficulty(powHash(verifier, submissionDigest, nonce, values), bits);
}

export interface PowSolution {
  nonce: bigint;
  values: number[];
  tries: number;
}

/**
 * Tries nonces 0, 1, 2, ... until the walk's hash meets `bits`. `valueAt` reads the quantised
 * hidden state at one position (from the verifier's teacher-forced pass) and must return an
 * int32; it is called `count` times per try, in walk order. Throws POW_EXHAUSTED after `maxTries`.
 */
export function grindPow(
  verifier: Address,
  submissionDigest: Uint8Array,
  shape: ProbeShape,
  count: number,
  bits: number,
  valueAt: (position: ProbePosition) => number,
  maxTries = DEFAULT_POW_MAX_TRIES,
): PowSolution {
  if (!Number.isInteger(maxTries) || maxTries < 1) {
    throw invalidField('maxTries', 'must be a positive integer', ProtocolErrorCode.OUT_OF_RANGE);
  }
  validateProbeShape(shape);
  checkCount(count);
  for (let tries = 1; tries <= maxTries; tries++) {
    const nonce = BigInt(tries - 1);
    let c = powChainStart(verifier, submissionDigest, nonce);
    const values: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = valueAt(place(c, i, shape));
      if (!isInt32(v)) throw invalidField('valueAt', 'must return an int32', ProtocolErrorCode.OUT_OF_RANGE);
      values.push(v);
      c = step(c, v);
    }
    if (meetsDifficulty(c, bits)) return { nonce, values, tries };
  }
  throw new ProtocolError(ProtocolErrorCode.POW_EXHAUSTED, `no nonce met ${bits} bits in ${maxTries} tries`, 'nonce');
}
