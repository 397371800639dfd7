import { secp256k1 } from '@noble/curves/secp256k1';
import { addressFromPublicKey, isAddress, SIGNATURE_BYTES, type Address } from './identity';

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;

const N = secp256k1.CURVE.n;
const HALF_N = N >> 1n;
const G = secp256k1.ProjectivePoint.BASE;
const INFINITY = secp256k1.ProjectivePoint.ZERO;

/**
 * verifySignature for services that see the same few signers again and again (ingress: its
 * clients; the ledger: the clients whose fees it escrows). The first signature of an address is
 * checked by recovery, as verifySignature does; the recovered public key is then kept with a
 * precomputed multiplication table, and later signatures of that address are checked without
 * recovery: R' = (e/s)G + (r/s)P must be the signature's R, i.e. R'.x = r and R'.y has the
 * parity the recovery id v names. Recovery computes P from (R, s, e); this computes R from
 * (P, s, e); the two agree exactly when the signature recovers to P, so the answer is the same
 * as verifySignature's (a property test checks that), at about a third of the CPU.
 */
export class SignerCache {
  private readonly keys = new Map<Address, Point>();

  /** `capacity`: addresses kept (least recently verified ones are dropped first). */
  constructor(private readonly capacity = 1_024) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity: must be a positive integer');
  }

  /** True iff `sig65` is a valid low-s signature of `digest32` by `address`. Never throws. */
  verify(digest32: Uint8Array, sig65: Uint8Array, address: Address): boolean {
    if (!isAddress(address)) return false;
    const key = this.keys.get(address);
    if (key) {
      this.keys.delete(address);
      this.keys.set(address, key);
      return verifyWithKey(digest32, sig65, key);
    }
    // One recovery, with recoverAddress's checks: 32-byte digest, 65 bytes, v in {0, 1}, low s.
    let point: Point;
    try {
      if (!(digest32 instanceof Uint8Array) || digest32.length !== 32) return false;
      if (!(sig65 instanceof Uint8Array) || sig65.length !== SIGNATURE_BYTES) return false;
      const v = sig65[64];
      if (v !== 0 && v !== 1) return false;
      const sig = secp256k1.Signature.fromCompact(sig65.subarray(0, 64)).addRecoveryBit(v);
      if (sig.hasHighS()) return false;
      point = sig.recoverPublicKey(digest32);
      if (addressFromPublicKey(point.toRawBytes(false)) !== address) return false;
    } catch {
      return false;
    }
    point.precompute(8);
    this.keys.set(address, point);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value as Address);
    return true;
  }
}

function verifyWithKey(digest32: Uint8Array, sig65: Uint8Array, key: Point): boolean {
  if (!(digest32 instanceof Uint8Array) || digest32.length !== 32) return false;
  if (!(sig65 instanceof Uint8Array) || sig65.length !== SIGNATURE_BYTES) return false;
  const v = sig65[64];
  if (v !== 0 && v !== 1) return false;
  const r = toBigInt(sig65.subarray(0, 32));
  const s = toBigInt(sig65.subarray(32, 64));
  // Same ranges recoverAddress accepts: r, s in [1, n), s low.
  if (r <= 0n || r >= N || s <= 0n || s > HALF_N) return false;
  const e = toBigInt(digest32) % N;
  const w = invert(s);
  const u1 = (e * w) % N;
  const u2 = (r * w) % N;
  let R: Point;
  try {
    R = (u1 === 0n ? INFINITY : G.multiplyUnsafe(u1)).add(key.multiplyUnsafe(u2));
  } catch {
    return false;
  }
  if (R.equals(INFINITY)) return false;
  const { x, y } = R.toAffine();
  return x === r && Number(y & 1n) === v;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** a^-1 mod N (N prime, 0 < a < N), by the extended Euclidean algorithm. */
function invert(a: bigint): bigint {
  let [oldR, r] = [a, N];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % N) + N) % N;
}
