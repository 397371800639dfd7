import { describe, expect, it } from 'vitest';
import { runAudit, TAMPER_CLASSES } from './model.audit';
import { buildTinyModelForTest } from './model.testing';

describe('aegis audit (small)', () => {
  it('rejects no honest run and catches every tamper class every time', async () => {
    const files = buildTinyModelForTest();
    const report = await runAudit(files.descriptor, files.onnx, { tasks: 24, seed: 'vitest-audit', powBits: 4, perturbation: 0.01 });
    expect(report.honest).toEqual({ tasks: 24, rejected: 0, powAuditsFailed: 0 });
    expect(Object.keys(report.tamper).sort()).toEqual([...TAMPER_CLASSES].sort());
    for (const cls of TAMPER_CLASSES) expect(report.tamper[cls], cls).toEqual({ tries: 24, caught: 24 });
    // The margin is real: honest probe deviations stay well under tol.
    expect(report.maxHonestDeviation.probe).toBeLessThan(report.tol);
    expect(report.maxHonestDeviation.token).toBeLessThan(report.eps);
  }, 120_000);
});
