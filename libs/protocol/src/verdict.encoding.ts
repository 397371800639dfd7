import { ByteWriter, equalBytes, utf8 } from './bytes';
import { keccak256 } from './hash';
import { addressBytes, type Address, type NodeKey, verifySignature } from './identity';
import { invalidField, ProtocolErrorCode } from './protocol.errors';
import type { SignerCache } from './signer.cache';

export const VERDICT_DOMAIN = 'aegis/verdict/v1';

export enum VerdictKind {
  ACCEPT = 'ACCEPT',
  REJECT = 'REJECT',
}

/** Wire byte per kind; 0 is left unused so a zeroed buffer never reads as a verdict. */
const KIND_BYTE: Record<VerdictKind, number> = { [VerdictKind.ACCEPT]: 1, [VerdictKind.REJECT]: 2 };

/** Verifier V's verdict on submission S, carrying its proof of work (nonce, values_n). */
export interface Verdict {
  submissionDigest: Uint8Array;
  verifier: Address;
  kind: VerdictKind;
  nonce: bigint;
  values: readonly number[];
}

export interface SignedVerdict {
  verdict: Verdict;
  digest: Uint8Array;
  signature: Uint8Array;
}

function kindByte(kind: VerdictKind): number {
  switch (kind) {
    case VerdictKind.ACCEPT:
    case VerdictKind.REJECT:
      return KIND_BYTE[kind];
    default: {
      const never: never = kind;
      throw invalidField('kind', `unknown verdict kind ${String(never)}`);
    }
  }
}

/** Canonical verdict bytes (docs/protocol.md, "Verdict"). */
export function encodeVerdict(v: Verdict): Uint8Array {
  if (!(v.submissionDigest instanceof Uint8Array) || v.submissionDigest.length !== 32) {
    throw invalidField('submissionDigest', 'must be 32 bytes');
  }
  const w = new ByteWriter()
    .bytes(utf8(VERDICT_DOMAIN))
    .bytes(v.submissionDigest)
    .bytes(addressBytes(v.verifier, 'verifier'))
    .u8(kindByte(v.kind), 'kind')
    .u64(v.nonce, 'nonce')
    .u32(v.values.length, 'values');
  for (const x of v.values) w.i32(x, 'values');
  return w.finish();
}

export function verdictDigest(v: Verdict): Uint8Array {
  return keccak256(encodeVerdict(v));
}

export function signVerdict(v: Verdict, key: NodeKey): SignedVerdict {
  if (key.address !== v.verifier) {
    throw invalidField('verifier', `is ${v.verifier} but the signing key is ${key.address}`, ProtocolErrorCode.BAD_KEY);
  }
  const digest = verdictDigest(v);
  return { verdict: v, digest, signature: key.sign(digest) };
}

/**
 * Digest recomputed and the signature recovers to verdict.verifier. Never throws.
 * `signers`: a service's cache of known signers' keys (same answer, a third of the CPU).
 */
export function verifySignedVerdict(s: SignedVerdict, signers?: SignerCache): boolean {
  try {
    const digest = verdictDigest(s.verdict);
    return (
      equalBytes(digest, s.digest) &&
      (signers ? signers.verify(digest, s.signature, s.verdict.verifier) : verifySignature(digest, s.signature, s.verdict.verifier))
    );
  } catch {
    return false;
  }
}
