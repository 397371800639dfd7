import { describe, expect, it } from 'vitest';
import { runAudit, TAMPER_CLASSES } from './model.audit';
import { POW_GRIND_CLASSES } from './pow.forgery';
import { buildTinyModelForTest } from './model.testing';

describe('aegis audit (small)', () => {
  it('rejects no honest run and catches every tamper class every time', async () => {
    const files = buildTinyModelForTest();
    const report = await runAudit(files.descriptor, files.onnx, { tasks: 24, seed: 'vitest-audit', powBits: 4, perturbation: 0.01 });
    expect(report.honest).toEqual({ tasks: 24, rejected: 0, powAuditsFailed: 0 });
    expect(Object.keys(report.tamper).sort()).toEqual([...TAMPER_CLASSES].sort());
    for (const cls of TAMPER_CLASSES) {
      // prompt-only is tried only where the output has 2+ tokens (else the prompt pass is the whole pass).
      if (cls === 'pow-grind-prompt-only') expect(report.tamper[cls].tries, cls).toBeGreaterThan(12);
      else if (cls === 'eps-steering') {
        // Open (docs/asli.md, "What a node may do"): the tolerance's steering freedom is measured,
        // not yet bounded. What is asserted is that the measure is right: every steered output
        // the verifier saw as steerable is accepted, one try per task with a steerable step.
        expect(report.tamper[cls].tries).toBe(report.steering.tasksWithSteerableStep);
        expect(report.tamper[cls].caught).toBe(0);
        continue;
      } else expect(report.tamper[cls].tries, cls).toBe(24);
      expect(report.tamper[cls].caught, cls).toBe(report.tamper[cls].tries);
    }
    expect(report.steering.sampledSteps).toBeGreaterThan(0);
    expect(report.steerableShare).toBe(report.steering.steerableSteps / report.steering.sampledSteps);
    // The forgers walked their whole budget without a proof from held values, then invented.
    expect(report.powGrind.proofsFromHeldValues).toBe(0);
    const grindTries = POW_GRIND_CLASSES.reduce((n, c) => n + report.tamper[c].tries, 0);
    expect(report.powGrind.triesWalked).toBeGreaterThanOrEqual(grindTries * report.powGrind.budgetTries);
    // The margin is real: honest probe deviations stay well under tol.
    expect(report.maxHonestDeviation.probe).toBeLessThan(report.tol);
    expect(report.maxHonestDeviation.token).toBeLessThan(report.eps);
  }, 120_000);
});
