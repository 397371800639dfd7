import { randomBytes } from 'node:crypto';
import { concatBytes, keccak256, utf8 } from '@aegis/protocol';

const DOMAIN = utf8('aegis/pow-audit/v1');
/** 32 bytes: as hard to guess as a private key. */
export const AUDIT_SECRET_BYTES = 32;

/**
 * Which verdicts get their PoW values recomputed (DESIGN 2.4).
 *
 * The choice is keccak256("aegis/pow-audit/v1" || secret || verdictDigest) < share * 2^32, with
 * a secret only the checkers hold (AEGIS_AUDIT_SECRET). Keyed on the digest alone, a verifier
 * could compute the choice itself and re-sign fabricated verdicts (new nonce, new digest) until
 * one is not sampled, so a lazy verifier would never be audited. With the secret, the verifier
 * sees a fair coin of bias `share` for every verdict it signs and cannot tell which ones to fake.
 * A beacon issued after the verdict would do as well but needs another control-plane round trip
 * per verdict; the secret keeps the check local. It stays deterministic per verdict, so a
 * redelivered verdict (and every replica sharing the secret) makes the same choice.
 */
export class AuditSampler {
  private readonly threshold: number;

  constructor(
    private readonly secret: Uint8Array,
    share: number,
  ) {
    if (secret.length < AUDIT_SECRET_BYTES) throw new RangeError(`auditSecret: must be at least ${AUDIT_SECRET_BYTES} bytes`);
    if (!(share >= 0 && share <= 1)) throw new RangeError('auditShare: must be in [0, 1]');
    this.threshold = share * 2 ** 32;
  }

  /** A per-process secret for single-process setups (tests, devnet): still unpredictable, not shared by replicas. */
  static withRandomSecret(share: number): AuditSampler {
    return new AuditSampler(randomBytes(AUDIT_SECRET_BYTES), share);
  }

  sampled(verdictDigest: Uint8Array): boolean {
    const h = keccak256(concatBytes(DOMAIN, this.secret, verdictDigest));
    const x = new DataView(h.buffer, h.byteOffset, 4).getUint32(0, false);
    return x < this.threshold;
  }
}

/** Parses AEGIS_AUDIT_SECRET: 64+ hex digits (optionally 0x-prefixed); throws naming the variable. */
export function parseAuditSecret(value: string, field = 'AEGIS_AUDIT_SECRET'): Uint8Array {
  const hex = value.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw new RangeError(`${field}: must be hex digits`);
  if (hex.length < AUDIT_SECRET_BYTES * 2)
    throw new RangeError(`${field}: must hold at least ${AUDIT_SECRET_BYTES} bytes (${AUDIT_SECRET_BYTES * 2} hex digits)`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
