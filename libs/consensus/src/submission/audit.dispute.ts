import { type Address, concatBytes, fromHex, keccak256, toHex, utf8 } from '@aegis/protocol';

const AUDIT_DISPUTE_DOMAIN = utf8('aegis/audit-dispute/v1');

/**
 * The dispute a verifier's stake is liquidated into when the PoW checker catches it on a
 * submission: keccak256("aegis/audit-dispute/v1" || utf8(submissionId) || verifier), as 0x-hex.
 *
 * One dispute per (submission, verifier) rather than the submission's own dispute: a failed audit
 * needs no tally (the failed PoW/values are the proof), it must not make the honest submitter a
 * party (frozen) when nobody rejected its result, and it is a 32-byte id like every other
 * dispute id on the wire. Derived from the inputs only, so a replay yields the same ledger keys.
 */
export function auditDisputeId(submissionId: string, verifier: Address): string {
  return toHex(keccak256(concatBytes(AUDIT_DISPUTE_DOMAIN, utf8(submissionId), fromHex(verifier, 20, 'verifier'))));
}
