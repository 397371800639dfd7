import { concatBytes, isInt32, readU64be, u32be, utf8 } from './bytes';
import { keccak256 } from './hash';
import { roundHalfEven } from './asli.sampler';
import { invalidField, ProtocolErrorCode } from './protocol.errors';

/**
 * The space probes are drawn from. `positions` counts the inputs the model consumed while
 * generating: the prompt plus every generated token except the last (which was sampled but never
 * fed back), i.e. promptLen + generated - 1. Teacher forcing reproduces exactly these inputs.
 */
export interface ProbeShape {
  layers: number;
  positions: number;
  hidden: number;
}

export interface ProbePosition {
  layer: number;
  position: number;
  index: number;
}

export interface Probe extends ProbePosition {
  /** round_half_even(h * 2^Q) as int32. */
  value: number;
}

const PROBE_TAG = utf8('probe');
const FINAL_PROBE_TAG = utf8('probe-final');
/** Layer indexes travel as u16 in results; positions and hidden indexes as u32. */
const MAX_LAYERS = 0x1_0000;
const MAX_U32_RANGE = 0x1_0000_0000;

export function validateProbeShape(shape: ProbeShape): void {
  const check = (name: keyof ProbeShape, max: number): void => {
    const v = shape[name];
    if (!Number.isInteger(v) || v < 1 || v > max) {
      throw invalidField(`shape.${name}`, `must be an integer in [1, ${max}]`, ProtocolErrorCode.OUT_OF_RANGE);
    }
  };
  check('layers', MAX_LAYERS);
  check('positions', MAX_U32_RANGE);
  check('hidden', MAX_U32_RANGE);
}

function validateCount(count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > 0xffff_ffff) {
    throw invalidField('count', 'must be an integer in [0, 2^32)', ProtocolErrorCode.OUT_OF_RANGE);
  }
}

/**
 * Maps a 32-byte hash to a position: layer = u64be(h[0..8]) mod layers, position =
 * u64be(h[8..16]) mod positions, index = u64be(h[16..24]) mod hidden. The modulo bias is below
 * 2^-32 for any realistic shape, and it is the same for every implementation.
 */
export function positionFromHash(h: Uint8Array, shape: ProbeShape): ProbePosition {
  return { layer: u64Mod(h, 0, shape.layers), position: u64Mod(h, 8, shape.positions), index: u64Mod(h, 16, shape.hidden) };
}

/**
 * u64be(h[at..at+8]) mod m for 1 <= m <= 2^32, in doubles: Horner over 16-bit limbs keeps every
 * intermediate below 2^48, so it is exact, and equal to the BigInt form (tested) at a fraction of
 * its cost; the PoW walk maps a hash per read.
 */
export function u64Mod(h: Uint8Array, at: number, m: number): number {
  let r = 0;
  for (let i = at; i < at + 8; i += 2) r = (r * 65536 + (h[i] as number) * 256 + (h[i + 1] as number)) % m;
  return r;
}

/** Probe i's position: from keccak256(seed || "probe" || u32be(i)), for i in [0, count). */
export function probePositions(seed: Uint8Array, count: number, shape: ProbeShape): ProbePosition[] {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw invalidField('seed', 'must be 32 bytes');
  validateCount(count);
  validateProbeShape(shape);
  const out: ProbePosition[] = [];
  for (let i = 0; i < count; i++) {
    out.push(positionFromHash(keccak256(concatBytes(seed, PROBE_TAG, u32be(i))), shape));
  }
  return out;
}

/**
 * The final probe: the last layer at the last consumed position, at a seed-chosen hidden index
 * (u64be(keccak256(seed || "probe-final")[0..8]) mod hidden). Through attention that hidden state
 * depends on every input, so altering any prompt token or any fed-back generated token moves it,
 * even when no random probe happens to land after the alteration (short outputs).
 */
export function finalProbePosition(seed: Uint8Array, shape: ProbeShape): ProbePosition {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw invalidField('seed', 'must be 32 bytes');
  validateProbeShape(shape);
  const h = keccak256(concatBytes(seed, FINAL_PROBE_TAG));
  return { layer: shape.layers - 1, position: shape.positions - 1, index: Number(readU64be(h, 0) % BigInt(shape.hidden)) };
}

/** The probe set an ASLI result carries, in order: `count` random probes, then the final probe. */
export function asliProbePositions(seed: Uint8Array, count: number, shape: ProbeShape): ProbePosition[] {
  return [...probePositions(seed, count, shape), finalProbePosition(seed, shape)];
}

/**
 * Fixed-point value of a hidden-state entry: roundHalfEven(h * 2^q) as int32. Multiplying by a
 * power of two is exact, so the only rounding is the documented one.
 */
export function quantize(h: number, q: number): number {
  if (!Number.isInteger(q) || q < 0 || q > 64) {
    throw invalidField('q', 'must be an integer in [0, 64]', ProtocolErrorCode.OUT_OF_RANGE);
  }
  if (!Number.isFinite(h)) throw invalidField('h', `is ${h}; expected a finite number`, ProtocolErrorCode.OUT_OF_RANGE);
  const v = roundHalfEven(h * 2 ** q);
  if (!isInt32(v)) throw invalidField('h', `${h} * 2^${q} does not fit in int32`, ProtocolErrorCode.OUT_OF_RANGE);
  return v;
}
