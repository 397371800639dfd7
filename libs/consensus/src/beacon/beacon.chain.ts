import { type Address, concatBytes, fromHex, isAddress, keccak256, type NodeKey, toHex, utf8, verifySignature } from '@aegis/protocol';
import { ConsensusError, ConsensusErrorCode } from '../consensus.errors';

const LINK_DOMAIN = utf8('aegis/beacon/v1');
const GENESIS_DOMAIN = utf8('aegis/beacon/genesis/v1');

/** Most links one control-plane signature covers (a seal): its own and up to this many - 1 before it. */
export const MAX_SEAL_SPAN = 16;

/**
 * One link of the control plane's beacon chain: beacon_i = keccak256(beacon_{i-1} || digest_i),
 * vouched for by the control-plane key. The tallier appends a link only after it has recorded the
 * submission whose digest it carries, so the submitter cannot know beacon_S when it fixes its
 * output and cannot grind for a friendly committee. Hex fields are lowercase 0x (wire form).
 *
 * Links appended together (the submissions one tallier transaction records) are sealed together:
 * only the last of each run of up to MAX_SEAL_SPAN links is signed, and every link before it
 * carries the digests of the links after it up to that one (`sealedBy`) and its signature. The
 * hash chain makes the signed link commit to every link it seals, so a verifier rebuilds the
 * signed link from this one and the digests and checks that signature: one signature per run
 * instead of one per link, and no new encoding (the signed bytes are linkSigningDigest's).
 */
export interface BeaconLink {
  /** 1 for the first link after genesis. */
  readonly index: number;
  readonly prev: string;
  readonly submissionDigest: string;
  readonly beacon: string;
  readonly signer: Address;
  /**
   * 65-byte r || s || v over linkSigningDigest of the link that seals this one: this link when
   * `sealedBy` is absent or empty, otherwise the link reached by extending this one with the
   * digests in `sealedBy`, in order.
   */
  readonly signature: string;
  /** Digests (0x hex) of the links after this one up to the signed one; at most MAX_SEAL_SPAN - 1. */
  readonly sealedBy?: readonly string[];
}

/** Whether `link` carries its own signature (the last of its sealed run), not a later link's. */
export function signsItself(link: BeaconLink): boolean {
  return (link.sealedBy ?? []).length === 0;
}

/** A link whose value is final but which is not sealed yet (BeaconChain.extend, then seal). */
export type PendingLink = Omit<BeaconLink, 'signature' | 'sealedBy'>;

export interface BeaconHead {
  readonly index: number;
  readonly beacon: Uint8Array;
}

/** beacon_0 for a named chain (one per network), so two devnets never share a beacon. */
export function genesisBeacon(chainId: string): Uint8Array {
  if (typeof chainId !== 'string' || chainId.length === 0) {
    throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, 'must be a non-empty string', 'chainId');
  }
  return keccak256(concatBytes(GENESIS_DOMAIN, utf8(chainId)));
}

export function nextBeacon(prev: Uint8Array, submissionDigest: Uint8Array): Uint8Array {
  return keccak256(concatBytes(prev, submissionDigest));
}

/** What the control plane signs: domain || u64be(index) || prev || digest || beacon. */
export function linkSigningDigest(index: number, prev: Uint8Array, submissionDigest: Uint8Array, beacon: Uint8Array): Uint8Array {
  const idx = new Uint8Array(8);
  new DataView(idx.buffer).setBigUint64(0, BigInt(index), false);
  return keccak256(concatBytes(LINK_DOMAIN, idx, prev, submissionDigest, beacon));
}

/** The control plane's side: holds the head and the key, appends signed links. Not thread-safe by design: one tallier owns it. */
export class BeaconChain {
  private current: BeaconHead;
  /** Links extended since the last seal, in order; the values of the next ones build on them. */
  private pending: { link: PendingLink; prev: Uint8Array; digest: Uint8Array; beacon: Uint8Array }[] = [];

  constructor(
    private readonly key: NodeKey,
    head: BeaconHead,
  ) {
    assertIndex(head.index, 'head.index');
    assert32(head.beacon, 'head.beacon');
    this.current = { index: head.index, beacon: head.beacon.slice() };
  }

  static fromGenesis(key: NodeKey, chainId: string): BeaconChain {
    return new BeaconChain(key, { index: 0, beacon: genesisBeacon(chainId) });
  }

  get head(): BeaconHead {
    return { index: this.current.index, beacon: this.current.beacon.slice() };
  }

  get signer(): Address {
    return this.key.address;
  }

  /** One link, signed on its own. Call only after the submission with this digest is durably recorded. */
  append(submissionDigest: Uint8Array): BeaconLink {
    if (this.pending.length > 0) throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, 'seal the extended links first', 'pending');
    this.extend(submissionDigest);
    return this.seal()[0] as BeaconLink;
  }

  /**
   * The next link, its value final (the lottery may draw on it at once) but unsigned until seal():
   * for the submissions recorded together, which seal signs together. Call only after the
   * submission with this digest is recorded in the transaction that will store the sealed links.
   */
  extend(submissionDigest: Uint8Array): PendingLink {
    assert32(submissionDigest, 'submissionDigest');
    const index = this.current.index + 1;
    const prev = this.current.beacon;
    const beacon = nextBeacon(prev, submissionDigest);
    this.current = { index, beacon };
    const link: PendingLink = {
      index,
      prev: toHex(prev),
      submissionDigest: toHex(submissionDigest),
      beacon: toHex(beacon),
      signer: this.key.address,
    };
    this.pending.push({ link, prev, digest: submissionDigest.slice(), beacon });
    return link;
  }

  /**
   * Signs the links extended since the last seal, one signature per run of up to `span` links
   * (the run's last link signs, the others point to it with `sealedBy`), and returns them in order.
   */
  seal(span: number = MAX_SEAL_SPAN): BeaconLink[] {
    if (!Number.isSafeInteger(span) || span < 1 || span > MAX_SEAL_SPAN) {
      throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, `must be an integer in [1, ${MAX_SEAL_SPAN}]`, 'span');
    }
    const pending = this.pending;
    this.pending = [];
    const out: BeaconLink[] = [];
    for (let start = 0; start < pending.length; start += span) {
      const run = pending.slice(start, start + span);
      const last = run[run.length - 1] as (typeof run)[number];
      const signature = toHex(this.key.sign(linkSigningDigest(last.link.index, last.prev, last.digest, last.beacon)));
      run.forEach((p, i) => {
        const sealedBy = run.slice(i + 1).map((later) => later.link.submissionDigest);
        out.push(sealedBy.length > 0 ? { ...p.link, signature, sealedBy } : { ...p.link, signature });
      });
    }
    return out;
  }
}

/**
 * Throws INVALID_BEACON naming the field unless `link` is well formed, hashes correctly, is signed
 * by `controlPlane`, and (when `expectedPrev` is given) extends that head.
 */
export function assertBeaconLink(link: BeaconLink, controlPlane: Address, expectedPrev?: BeaconHead): void {
  const fail = (field: string, message: string): never => {
    throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, message, field);
  };
  if (!isAddress(controlPlane)) fail('controlPlane', 'must be a lowercase 0x address');
  assertIndex(link.index, 'index');
  if (link.index < 1) fail('index', 'must be >= 1');
  const prev = hex32(link.prev, 'prev');
  const digest = hex32(link.submissionDigest, 'submissionDigest');
  const beacon = hex32(link.beacon, 'beacon');
  if (toHex(nextBeacon(prev, digest)) !== toHex(beacon)) fail('beacon', 'is not keccak256(prev || submissionDigest)');
  if (link.signer !== controlPlane) fail('signer', `is ${String(link.signer)}, expected the control plane ${controlPlane}`);
  let sig: Uint8Array;
  try {
    sig = fromHex(link.signature, 65, 'signature');
  } catch {
    return fail('signature', 'must be 65 bytes of hex');
  }
  // The sealing link: this one, or the one `sealedBy` leads to along the chain.
  const sealedBy = link.sealedBy ?? [];
  if (!Array.isArray(sealedBy) || sealedBy.length > MAX_SEAL_SPAN - 1) fail('sealedBy', `must list at most ${MAX_SEAL_SPAN - 1} digests`);
  let sealing = { index: link.index, prev, digest, beacon };
  sealedBy.forEach((hex, i) => {
    const next = hex32(hex, `sealedBy[${i}]`);
    sealing = { index: sealing.index + 1, prev: sealing.beacon, digest: next, beacon: nextBeacon(sealing.beacon, next) };
  });
  if (!Number.isSafeInteger(sealing.index)) fail('index', 'is too large to be sealed');
  if (!verifySignature(linkSigningDigest(sealing.index, sealing.prev, sealing.digest, sealing.beacon), sig, controlPlane)) {
    fail(
      'signature',
      sealedBy.length > 0
        ? 'is not the control plane signature of the link sealing this one'
        : 'is not the control plane signature of this link',
    );
  }
  if (expectedPrev !== undefined) {
    if (link.index !== expectedPrev.index + 1) fail('index', `expected ${expectedPrev.index + 1}, got ${link.index}`);
    if (toHex(prev) !== toHex(expectedPrev.beacon)) fail('prev', 'does not extend the expected head');
  }
}

/** Non-throwing form of assertBeaconLink, for "anyone can check" callers. */
export function verifyBeaconLink(link: BeaconLink, controlPlane: Address, expectedPrev?: BeaconHead): boolean {
  try {
    assertBeaconLink(link, controlPlane, expectedPrev);
    return true;
  } catch (e) {
    if (e instanceof ConsensusError) return false;
    throw e;
  }
}

/** Checks a run of links from `start` (genesis or a trusted head); returns the new head. */
export function assertBeaconChain(links: readonly BeaconLink[], controlPlane: Address, start: BeaconHead): BeaconHead {
  let head = start;
  for (const link of links) {
    assertBeaconLink(link, controlPlane, head);
    head = { index: link.index, beacon: fromHex(link.beacon, 32, 'beacon') };
  }
  return head;
}

/** The 32 beacon bytes of a (verified or pending) link, for the lottery. */
export function beaconOf(link: Pick<BeaconLink, 'beacon'>): Uint8Array {
  return hex32(link.beacon, 'beacon');
}

function hex32(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string' || !/^0x[0-9a-f]{64}$/.test(value)) {
    throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, 'must be 0x followed by 64 lowercase hex characters', field);
  }
  return fromHex(value, 32, field);
}

function assert32(b: Uint8Array, field: string): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, 'must be 32 bytes', field);
}

function assertIndex(i: number, field: string): void {
  if (!Number.isSafeInteger(i) || i < 0)
    throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, 'must be a non-negative integer', field);
}
