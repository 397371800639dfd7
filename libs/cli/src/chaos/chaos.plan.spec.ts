import { describe, expect, it } from 'vitest';
import { chaosPlan } from './chaos.plan';

describe('chaosPlan', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = chaosPlan({ short: false, repeat: 1, stopMs: 15_000, seed: 7 });
    expect(chaosPlan({ short: false, repeat: 1, stopMs: 15_000, seed: 7 })).toEqual(a);
    expect(chaosPlan({ short: false, repeat: 1, stopMs: 15_000, seed: 8 })).not.toEqual(a);
  });

  it('covers every kind of the issue, each service killed both ways, repeated on request', () => {
    const plan = chaosPlan({ short: false, repeat: 2, stopMs: 15_000, seed: 1 });
    const count = (kind: string, target?: string): number =>
      plan.filter((f) => f.kind === kind && (target === undefined || f.target === target)).length;
    for (const target of ['ledger', 'ingress', 'tallier', 'pow-checker', 'worker-a', 'verifier-a']) {
      expect(count('kill-9', target)).toBe(2);
      expect(count('sigterm-restart', target)).toBe(2);
    }
    expect(
      plan
        .filter((f) => f.kind === 'broker-stop')
        .map((f) => f.durationMs)
        .sort(),
    ).toEqual([5_000, 5_000, 60_000, 60_000]);
    expect(
      plan
        .filter((f) => f.kind === 'postgres-stop')
        .map((f) => f.durationMs)
        .sort(),
    ).toEqual([5_000, 5_000, 60_000, 60_000]);
    expect(count('replica-kill', 'worker-b')).toBe(2);
    expect(count('replica-kill', 'verifier-b')).toBe(2);
    expect(plan.filter((f) => f.kind === 'sigstop').every((f) => f.durationMs === 15_000)).toBe(true);
    expect(plan.every((f) => f.delayMs >= 2_000 && f.delayMs < 6_000)).toBe(true);
  });

  it('keeps the short plan to four faults that need one replica of each service', () => {
    const plan = chaosPlan({ short: true, repeat: 3, stopMs: 15_000, seed: 1 });
    expect(plan.map((f) => f.kind).sort()).toEqual(['broker-stop', 'kill-9', 'postgres-stop', 'sigterm-restart']);
  });
});
