import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PeriodicJob } from './periodic.job';

const silent = pino({ level: 'silent' });

/** A run that waits until released, so a test decides when it ends. */
function gatedRun(): { run: () => Promise<void>; runs: () => number; release: () => void } {
  let runs = 0;
  let release: () => void = () => undefined;
  return {
    run: () => {
      runs++;
      return new Promise<void>((resolve) => (release = resolve));
    },
    runs: () => runs,
    release: () => release(),
  };
}

describe('PeriodicJob', () => {
  it('runs one at a time and folds triggers that arrive during a run into one follow-up run', async () => {
    const gate = gatedRun();
    const job = new PeriodicJob(gate.run, { name: 'test', intervalMs: 0, logger: silent });
    const first = job.trigger();
    const second = job.trigger();
    const third = job.trigger();
    expect(gate.runs()).toBe(1);
    gate.release();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(gate.runs()).toBe(2);
    gate.release();
    await Promise.all([first, second, third]);
    expect(gate.runs()).toBe(2);
  });

  it('logs a failed run instead of rejecting, and runs again on the next trigger', async () => {
    let calls = 0;
    const job = new PeriodicJob(
      async () => {
        calls++;
        if (calls === 1) throw new Error('database down');
      },
      { name: 'test', intervalMs: 0, logger: silent },
    );
    await expect(job.trigger()).resolves.toBeUndefined();
    await job.trigger();
    expect(calls).toBe(2);
  });

  it('stop waits for the run in progress and nothing runs after it', async () => {
    const gate = gatedRun();
    const job = new PeriodicJob(gate.run, { name: 'test', intervalMs: 0, logger: silent, runAtStart: true });
    job.start();
    expect(gate.runs()).toBe(1);
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    gate.release();
    await stopping;
    await job.trigger();
    expect(gate.runs()).toBe(1);
  });
});
