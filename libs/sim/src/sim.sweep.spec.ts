import { enableFastKeccak } from '@aegis/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderSweepMarkdown, renderSweepSvg, runSweep, type SweepData, sweepPoint, SWEEP_SHARES } from './sim.sweep';

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
