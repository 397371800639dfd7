import { ByteWriter, equalBytes, utf8 } from './bytes';
import { keccak256 } from './hash';
import { addressBytes, type Address, type NodeKey, verifySignature } from './identity';
import type { Probe } from './asli.probes';
import { invalidField, ProtocolErrorCode } from './protocol.errors';
import type { SignerCache } from './signer.cache';

export const RESULT_DOMAIN = 'aegis/result/v1';

/** What resource node `node` claims for task `taskHash`: output tokens and the probe values. */
export interface AsliResult {
  taskHash: Uint8Array;
  node: Address;
  tokens: readonly number[];
  probes: readonly Probe[];
}

export interface SignedResult {
  result: AsliResult;
  /** resultDigest(result); what `signature` signs. */
  digest: Uint8Array;
  /** 65 bytes r || s || v by result.node. */
  signature: Uint8Array;
}

/**
 * Canonical result bytes (docs/protocol.md, "Result"). Unlike DESIGN's keccak(tokens, probes),
 * the task hash and node address are inside, so a signed result cannot be replayed onto another
 * task or claimed by another node.
 */
export function encodeResult(r: AsliResult): Uint8Array {
  if (!(r.taskHash instanceof Uint8Array) || r.taskHash.length !== 32) {
    throw invalidField('taskHash', 'must be 32 bytes');
  }
  const w = new ByteWriter().bytes(utf8(RESULT_DOMAIN)).bytes(r.taskHash).bytes(addressBytes(r.node, 'node'));
  w.u32List(r.tokens, 'tokens');
  w.u32(r.probes.length, 'probes');
  for (const p of r.probes) {
    w.u16(p.layer, 'probes.layer').u32(p.position, 'probes.position').u32(p.index, 'probes.index').i32(p.value, 'probes.value');
  }
  return w.finish();
}

export function resultDigest(r: AsliResult): Uint8Array {
  return keccak256(encodeResult(r));
}

/** Signs with `key`, which must be the result's node (a node signs only its own results). */
export function signResult(r: AsliResult, key: NodeKey): SignedResult {
  if (key.address !== r.node) {
    throw invalidField('node', `is ${r.node} but the signing key is ${key.address}`, ProtocolErrorCode.BAD_KEY);
  }
  const digest = resultDigest(r);
  return { result: r, digest, signature: key.sign(digest) };
}

/**
 * Digest recomputed from the result and the signature recovers to result.node. Never throws.
 * `signers`: a service's cache of known signers' keys (same answer, a third of the CPU).
 */
export function verifySignedResult(s: SignedResult, signers?: SignerCache): boolean {
  try {
    const digest = resultDigest(s.result);
    return (
      equalBytes(digest, s.digest) &&
      (signers ? signers.verify(digest, s.signature, s.result.node) : verifySignature(digest, s.signature, s.result.node))
    );
  } catch {
    return false;
  }
}
