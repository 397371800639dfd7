import { describe, expect, it } from 'vitest';
import { benchAsli, bootstrapMedianCi95, DEFAULT_ASLI_BENCH } from './asli.bench';
import { buildTinyModelForTest } from './model.testing';

describe('bootstrapMedianCi95', () => {
  const noisy = [1.01, 0.98, 1.07, 1.12, 1.03, 0.95, 1.05, 1.2, 1.04, 1.0, 1.06, 0.99, 1.08, 1.02, 1.1];

  it('brackets the median, and gives the same interval for the same runs', () => {
    const [lo, hi] = bootstrapMedianCi95(noisy);
    expect(lo).toBeLessThanOrEqual(1.04);
    expect(hi).toBeGreaterThanOrEqual(1.04);
    expect(lo).toBeLessThan(hi);
    expect(bootstrapMedianCi95(noisy)).toEqual([lo, hi]);
  });

  it('narrows as the runs agree, down to a point for identical ones', () => {
    const tight = noisy.map((x) => 1.04 + (x - 1.04) / 10);
    const [lo, hi] = bootstrapMedianCi95(noisy);
    const [tlo, thi] = bootstrapMedianCi95(tight);
    expect(thi - tlo).toBeLessThan(hi - lo);
    expect(bootstrapMedianCi95([1.5, 1.5, 1.5])).toEqual([1.5, 1.5]);
  });

  it('refuses an empty list', () => {
    expect(() => bootstrapMedianCi95([])).toThrow('no values');
  });
});

describe('benchAsli', () => {
  it('runs end to end on the tiny model and reports figures that agree with each other', async () => {
    const files = buildTinyModelForTest();
    const reps = 3;
    const tokens = 8;
    const report = await benchAsli(files.descriptor, files.onnx, { ...DEFAULT_ASLI_BENCH, tokens, repetitions: reps });
    expect(report.asliOverheadRuns).toHaveLength(reps);
    expect(report.verifySpeedupRuns).toHaveLength(reps);
    expect(report.modelBytes).toBe(files.onnx.length);
    // Medians of the same runs: the ratio of medians and the tokens per second come from one set of times.
    expect(report.asliOverhead).toBeCloseTo(report.medianMs.asli / report.medianMs.plain, 2);
    expect(report.generateTokensPerSecond).toBeCloseTo((tokens * 1000) / report.medianMs.asli, 0);
    expect(Number.isFinite(report.asliExtraUsPerToken)).toBe(true);
    const [lo, hi] = report.asliOverheadPairedMedianCi95;
    expect(lo).toBeLessThanOrEqual(report.asliOverheadPairedMedian);
    expect(hi).toBeGreaterThanOrEqual(report.asliOverheadPairedMedian);
    expect(report.asliPhasesMs.setup + report.asliPhasesMs.finish).toBeLessThan(report.medianMs.asli);
    expect(report.powMedianTries).toBeGreaterThanOrEqual(1);
    expect(report.powShareOfVerify).toBeCloseTo(report.medianMs.pow / report.medianMs.verify, 2);
  }, 60_000);
});
