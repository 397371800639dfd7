import { describe, expect, it } from 'vitest';
import { chooseAuditShare, DEFAULT_AUDIT_SHARE_POLICY, requiredAuditShare } from './audit.share';

const inputs = { maxSavedPerVerdict: 1_000n, minStake: 10_000n, ...DEFAULT_AUDIT_SHARE_POLICY };

describe('requiredAuditShare', () => {
  it('is the larger of the deterrence and detection bounds', () => {
    const r = requiredAuditShare(inputs);
    expect(r.deterrence).toBeCloseTo(0.2, 12);
    // (1 - d)^100 = 1e-6
    expect((1 - r.detection) ** 100).toBeCloseTo(1e-6, 12);
    expect(r.detection).toBeCloseTo(0.12904, 4);
    expect(r.share).toBe(r.deterrence);
    const cheap = requiredAuditShare({ ...inputs, maxSavedPerVerdict: 10n });
    expect(cheap.share).toBe(cheap.detection);
  });

  it('at that share inventing every verdict loses money in expectation', () => {
    const r = requiredAuditShare(inputs);
    // Verdicts until caught ~ geometric(share): expected gain fee / share, loss minStake.
    const expectedGain = Number(inputs.maxSavedPerVerdict) / r.share;
    expect(Number(inputs.minStake)).toBeGreaterThanOrEqual(inputs.safetyFactor * expectedGain - 1e-9);
  });

  it('caps at 1 and refuses bad inputs naming them', () => {
    expect(requiredAuditShare({ ...inputs, maxSavedPerVerdict: 1_000_000n }).share).toBe(1);
    expect(requiredAuditShare({ ...inputs, minStake: 0n }).share).toBe(1);
    expect(() => requiredAuditShare({ ...inputs, minStake: -1n })).toThrow(/minStake/);
    expect(() => requiredAuditShare({ ...inputs, maxSavedPerVerdict: -1n })).toThrow(/maxSavedPerVerdict/);
    expect(() => requiredAuditShare({ ...inputs, safetyFactor: 0.5 })).toThrow(/safetyFactor/);
    expect(() => requiredAuditShare({ ...inputs, detectWithin: 1.5 })).toThrow(/detectWithin/);
    expect(() => requiredAuditShare({ ...inputs, missProbability: 1 })).toThrow(/missProbability/);
  });
});

describe('chooseAuditShare', () => {
  const required = requiredAuditShare(inputs);
  it('takes the required share unless a larger one is given', () => {
    expect(chooseAuditShare(required)).toBe(required.share);
    expect(chooseAuditShare(required, 0.5)).toBe(0.5);
  });
  it('refuses a share below the required one, naming the variable', () => {
    expect(() => chooseAuditShare(required, 0.1)).toThrow(/AEGIS_AUDIT_SHARE: 0.1 is below the required 0.2000/);
    expect(() => chooseAuditShare(required, 2)).toThrow(/AEGIS_AUDIT_SHARE: must be in \[0, 1\]/);
  });
});
