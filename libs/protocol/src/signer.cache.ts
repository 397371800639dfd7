import { normalizeZ, wNAF } from '@noble/curves/abstract/curve';
import { _splitEndoScalar } from '@noble/curves/abstract/weierstrass';
import { secp256k1 } from '@noble/curves/secp256k1';
import { addressFromPublicKey, isAddress, SIGNATURE_BYTES, type Address } from './identity';

type Point = InstanceType<typeof secp256k1.ProjectivePoint>;

const N = secp256k1.CURVE.n;
const HALF_N = N >> 1n;
const G = secp256k1.ProjectivePoint.BASE;
const INFINITY = secp256k1.ProjectivePoint.ZERO;
const Fp = secp256k1.CURVE.Fp;

/**
 * secp256k1's GLV endomorphism (SEC 2 / libsecp256k1 constants, the ones noble uses):
 * lambda * (x, y) = (beta * x, y), and the lattice basis that splits a scalar k into k1 + k2 *
 * lambda with |k1|, |k2| < 2^128.
 */
const ENDO_BETA = BigInt('0x7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee');
const ENDO_BASIS: Parameters<typeof _splitEndoScalar>[1] = [
  [BigInt('0x3086d221a7d46bcde86c90e49284eb15'), -BigInt('0xe4437ed6010e88286f547fa90abfe4c3')],
  [BigInt('0x114ca50f7a8e2f3f657c1108d9d44cfd8'), BigInt('0x3086d221a7d46bcde86c90e49284eb15')],
];
/**
 * Multiplication with a point's precomputed table, not constant time. noble 1.9's
 * `multiplyUnsafe` on a point that has a table (G always does; a promoted signer's key too)
 * takes the constant-time path: a dummy addition for every zero window and a batch inversion to
 * normalise the real and the dummy result. A signature check handles public values only, so
 * this walks the same table (noble's own, shared through its module-wide cache; 128-bit windows,
 * as noble builds them for endomorphism curves) without either: ~25% less per check.
 */
const TABLED = new wNAF(secp256k1.ProjectivePoint, 128);
const toAffineTable = (points: Point[]): Point[] => normalizeZ(secp256k1.ProjectivePoint, points);

export interface SignerCacheOptions {
  /** Addresses whose public key is kept (least recently verified dropped first). Default 1024. */
  readonly capacity?: number;
  /**
   * Of those, how many also keep a multiplication table (least recently verified demoted
   * first). A table is ~110 KB and takes ~6 ms to build; it makes a check ~0.6 ms instead of
   * ~1.45 ms with the bare key. Default 128 (~14 MB at most).
   */
  readonly tableCapacity?: number;
  /** Checks of an address before its table is built, so one-off signers never cost one. Default 8. */
  readonly promoteAfter?: number;
}

/** wNAF window of a table: 110 KB and a 6 ms build against 325 KB and 18 ms for noble's default 8, for a check 10% slower. */
const TABLE_WINDOW = 6;

interface Entry {
  point: Point;
  checks: number;
  tabled: boolean;
}

/**
 * verifySignature for services that see the same few signers again and again (ingress: its
 * clients; the ledger: the clients whose fees it escrows; the tallier and PoW checker: nodes).
 * The first signature of an address is checked by recovery, as verifySignature does; the
 * recovered public key is then kept, and later signatures of that address are checked without
 * recovery: R' = (e/s)G + (r/s)P must be the signature's R, i.e. R'.x = r and R'.y has the
 * parity the recovery id v names. Recovery computes P from (R, s, e); this computes R from
 * (P, s, e); the two agree exactly when the signature recovers to P, so the answer is the same
 * as verifySignature's (a property test checks that).
 *
 * Memory and work stay bounded whoever signs: a key costs ~1 KB; only an address checked
 * `promoteAfter` times gets a precomputed table, and at most `tableCapacity` keep one. (Every
 * key used to get noble's default 8-bit table, built at its second check: 325 KB and 18 ms
 * each, so addresses that sign twice each cost 18 ms once and up to 330 MB per cache.)
 */
export class SignerCache {
  private readonly entries = new Map<Address, Entry>();
  /** Addresses whose entry holds a table, least recently checked first. */
  private readonly tables = new Set<Address>();
  private readonly capacity: number;
  private readonly tableCapacity: number;
  private readonly promoteAfter: number;

  constructor(options: SignerCacheOptions | number = {}) {
    const o = typeof options === 'number' ? { capacity: options } : options;
    this.capacity = positiveInteger(o.capacity ?? 1_024, 'capacity');
    this.tableCapacity = positiveInteger(o.tableCapacity ?? 128, 'tableCapacity');
    this.promoteAfter = positiveInteger(o.promoteAfter ?? 8, 'promoteAfter');
  }

  /** Addresses kept, and how many of them hold a table (for tests and metrics). */
  get size(): { readonly keys: number; readonly tables: number } {
    return { keys: this.entries.size, tables: this.tables.size };
  }

  /** True iff `sig65` is a valid low-s signature of `digest32` by `address`. Never throws. */
  verify(digest32: Uint8Array, sig65: Uint8Array, address: Address): boolean {
    if (!isAddress(address)) return false;
    const entry = this.entries.get(address);
    if (entry) {
      this.entries.delete(address);
      this.entries.set(address, entry);
      this.touch(address, entry);
      return verifyWithKey(digest32, sig65, entry.point);
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
    this.entries.set(address, { point, checks: 1, tabled: false });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as Address;
      this.entries.delete(oldest);
      this.tables.delete(oldest);
    }
    return true;
  }

  /** Counts a check; builds the table once an address has earned it, demoting the stalest holder. */
  private touch(address: Address, entry: Entry): void {
    entry.checks++;
    if (entry.tabled) {
      this.tables.delete(address);
      this.tables.add(address);
      return;
    }
    if (entry.checks < this.promoteAfter) return;
    // Lazy in noble: the table is built by the next multiplication, this check's.
    entry.point.precompute(TABLE_WINDOW);
    entry.tabled = true;
    this.tables.add(address);
    if (this.tables.size > this.tableCapacity) {
      const stalest = this.tables.values().next().value as Address;
      this.tables.delete(stalest);
      const demoted = this.entries.get(stalest);
      if (demoted) {
        // noble keeps tables in a WeakMap keyed by the point: a fresh point lets the table go.
        demoted.point = secp256k1.ProjectivePoint.fromAffine(demoted.point.toAffine());
        demoted.tabled = false;
        demoted.checks = 0;
      }
    }
  }
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${field}: must be a positive integer`);
  return value;
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
    R = multiplyPublic(G, u1).add(multiplyPublic(key, u2));
  } catch {
    return false;
  }
  if (R.equals(INFINITY)) return false;
  const { x, y } = R.toAffine();
  return x === r && Number(y & 1n) === v;
}

/** k * P for public k in [0, n) (see TABLED): through P's table if it has one, else noble's unsafe ladder. */
/** @internal exported for its test */
export function multiplyPublic(point: Point, k: bigint): Point {
  if (k === 0n) return INFINITY;
  if (!TABLED.hasCache(point)) return point.multiplyUnsafe(k);
  const { k1neg, k1, k2neg, k2 } = _splitEndoScalar(k, ENDO_BASIS, N);
  let p1 = TABLED.unsafe(point, k1, toAffineTable);
  let p2 = TABLED.unsafe(point, k2, toAffineTable);
  p2 = new secp256k1.ProjectivePoint(Fp.mul(p2.X, ENDO_BETA), p2.Y, p2.Z);
  if (k1neg) p1 = p1.negate();
  if (k2neg) p2 = p2.negate();
  return p1.add(p2);
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
