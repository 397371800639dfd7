import { keccak256, utf8 } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { AuditSampler, parseAuditSecret } from './audit.sampler';

const digests = Array.from({ length: 4_000 }, (_, i) => keccak256(utf8(`verdict-${i}`)));
const secret = (b: number): Uint8Array => new Uint8Array(32).fill(b);

describe('AuditSampler', () => {
  it('is deterministic per (secret, verdict): a redelivery and every replica choose alike', () => {
    const a = new AuditSampler(secret(1), 0.25);
    const b = new AuditSampler(secret(1), 0.25);
    expect(digests.map((d) => a.sampled(d))).toEqual(digests.map((d) => b.sampled(d)));
  });

  it('samples about the configured share, and 0 / 1 exactly', () => {
    const hits = digests.filter((d) => new AuditSampler(secret(2), 0.25).sampled(d)).length / digests.length;
    expect(hits).toBeGreaterThan(0.22);
    expect(hits).toBeLessThan(0.28);
    expect(digests.some((d) => new AuditSampler(secret(2), 0).sampled(d))).toBe(false);
    expect(digests.every((d) => new AuditSampler(secret(2), 1).sampled(d))).toBe(true);
  });

  it('without the secret the choice cannot be predicted: another key agrees only as chance would (p^2 + (1-p)^2)', () => {
    const a = new AuditSampler(secret(3), 0.25);
    const guess = new AuditSampler(secret(4), 0.25);
    const agree = digests.filter((d) => a.sampled(d) === guess.sampled(d)).length / digests.length;
    // Independent coins of bias 0.25 agree 62.5% of the time; a predictable rule would agree 100%.
    expect(agree).toBeGreaterThan(0.59);
    expect(agree).toBeLessThan(0.66);
  });

  it('refuses short or non-hex secrets naming the variable', () => {
    expect(() => parseAuditSecret('abc')).toThrow(/AEGIS_AUDIT_SECRET: must be hex/);
    expect(() => parseAuditSecret('ab'.repeat(16))).toThrow(/AEGIS_AUDIT_SECRET: must hold at least 32 bytes/);
    expect(() => parseAuditSecret('zz'.repeat(32))).toThrow(/AEGIS_AUDIT_SECRET/);
    expect(parseAuditSecret(`0x${'Ab'.repeat(32)}\n`)).toEqual(new Uint8Array(32).fill(0xab));
    expect(() => new AuditSampler(new Uint8Array(16), 0.5)).toThrow(/auditSecret/);
  });
});
