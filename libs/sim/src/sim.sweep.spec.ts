import { enableFastKeccak } from '@aegis/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderSweepSummary, summarise } from './sim.summary';
import { renderSweepMarkdown, renderSweepSvg, runSweep, type SweepData, type SweepPoint, sweepPoint, SWEEP_SHARES } from './sim.sweep';

describe('sweep', () => {
  beforeAll(enableFastKeccak);

  it('visits 0.05..0.60 in steps of 0.05', () => {
    expect(SWEEP_SHARES).toHaveLength(12);
    expect(SWEEP_SHARES[0]).toBe(0.05);
    expect(SWEEP_SHARES[11]).toBe(0.6);
  });

  it('renders one table row and one polyline point per share and tally, both tallies on one plot', () => {
    const opts = { nodes: 20, tasks: 60, windowSeconds: 300, taskIntervalSeconds: 10, strategy: 'griefing' } as const;
    const data: SweepData[] = (['stake', 'spec'] as const).map((tally) => ({
      strategy: 'griefing',
      tally,
      command: `npx aegis simulate --sweep --tally ${tally}`,
      points: runSweep({ ...opts, tally }, [0.1, 0.5]).map((r) => sweepPoint(r.share, r.result)),
    }));
    const md = renderSweepMarkdown(data);
    expect(md.split('\n').filter((l) => /^\| 0\.\d{3} \|/.test(l))).toHaveLength(4);
    expect(md).toContain('## tally: stake');
    expect(md).toContain('## tally: spec');
    const svg = renderSweepSvg(data);
    expect(svg.startsWith('<svg')).toBe(true);
    const polylines = [...svg.matchAll(/<polyline points="([^"]+)"[^>]*>/g)];
    expect(polylines.map((m) => (m[1] ?? '').split(' ').length)).toEqual(Array(10).fill(2));
    expect(polylines.filter((m) => m[0].includes('stroke-dasharray'))).toHaveLength(5);
  });
});

describe('sweep summary', () => {
  const point = (share: number, over: Partial<SweepPoint> = {}): SweepPoint => ({
    attackerStakeShare: share,
    honestSlashed: 0,
    wrongFinalised: 0,
    undecided: 0,
    cheatersActed: 1,
    cheatersLiquidated: 1,
    attackerProfit: -10,
    operatorShare: share,
    attackerAddressShare: share,
    attackerStake: 100,
    attackerReturn: -0.1,
    wrongSubmitted: 4,
    wrongFinalisedUndisputed: 0,
    honestRejected: 0,
    cheaters: 1,
    disputes: 1,
    uncomputedVerdicts: 0,
    auditCaught: 0,
    tasks: 1_000,
    nodes: 10,
    stakeConserved: true,
    elapsedMs: 1,
    ...over,
  });

  it('sums below 0.5, reads the rate near 0.33 and finds the first share that breaks', () => {
    const data: SweepData = {
      strategy: 'colluding',
      tally: 'stake',
      command: 'x',
      points: [
        point(0.3, { wrongFinalised: 2, wrongFinalisedUndisputed: 2 }),
        point(0.34, { wrongFinalised: 1, wrongFinalisedUndisputed: 1 }),
        point(0.55, { honestSlashed: 3, attackerProfit: 50 }),
      ],
    };
    const r = summarise(data);
    expect(r).toMatchObject({
      honestSlashed: 0,
      wrongFinalised: 3,
      wrongFinalisedUndisputed: 3,
      undisputedPerTaskNearGoal: 0.001,
      goalPointShare: 0.34,
      maxUndisputedPerTaskToGoal: 0.002,
      maxAttackerProfit: -10,
      firstBreak: 0.55,
    });
    expect(
      renderSweepSummary([data])
        .split('\n')
        .filter((l) => l.startsWith('| colluding | stake |')),
    ).toHaveLength(1);
  });
});
