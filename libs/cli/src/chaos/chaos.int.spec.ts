import { describe, expect, it } from 'vitest';
import { runChaos } from './chaos.run';

// `aegis chaos --short` as CI runs it: the six services as processes on the real Kafka and
// Postgres (the global setup started them; the faults stop and start them through the same
// scripts), four faults under a steady stream. ~2 minutes on two cores.
describe('aegis chaos --short', () => {
  it('loses no task, moves no fee twice, leaves no escrow unpaid and keeps the ledger invariant through every fault', async () => {
    const lines: string[] = [];
    const report = await runChaos({
      short: true,
      repeat: 1,
      seed: 1,
      rate: 1,
      recoveryTimeoutMs: 120_000,
      settleTimeoutMs: 120_000,
      notReadyExitSeconds: 120,
      only: [],
      progress: (line) => lines.push(line),
    });
    expect(report.faults.map((f) => f.kind).sort()).toEqual(['broker-stop', 'kill-9', 'postgres-stop', 'sigterm-restart']);
    for (const fault of report.faults) {
      expect(fault.recoverySeconds, `${fault.kind} ${fault.target} recovered`).not.toBeNull();
      expect(fault.tasksLost, `${fault.kind} ${fault.target}`).toBe(0);
      expect(fault.duplicates, `${fault.kind} ${fault.target}`).toBe(0);
    }
    expect(report.tasksSubmitted).toBeGreaterThan(10);
    expect(report.tasksFinal).toBe(report.tasksSubmitted);
    expect(report.tasksLost).toBe(0);
    expect(report.duplicateEntries).toBe(0);
    expect(report.unpaidEscrows).toBe(0);
    expect(report.honestSlashed).toBe(0);
    expect(report.ledgerInvariant, lines.join('\n')).toBe(true);
  }, 360_000);
});
