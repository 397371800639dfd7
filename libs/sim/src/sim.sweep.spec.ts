import { describe, expect, it } from 'vitest';
import { renderSweepMarkdown, renderSweepSvg, runSweep, SWEEP_SHARES } from './sim.sweep';

describe('sweep', () => {
  it('visits 0.05..0.60 in steps of 0.05', () => {
    expect(SWEEP_SHARES).toHaveLength(12);
    expect(SWEEP_SHARES[0]).toBe(0.05);
    expect(SWEEP_SHARES[11]).toBe(0.6);
  });

  it('renders one table row and one polyline point per share', () => {
    const rows = runSweep({ nodes: 20, tasks: 60, windowSeconds: 300, taskIntervalSeconds: 10, strategy: 'colluding' }, [0.1, 0.5]);
    const md = renderSweepMarkdown(rows, 'npx aegis simulate --sweep');
    expect(md.split('\n').filter((l) => /^\| 0\.\d0 \|/.test(l))).toHaveLength(2);
    const svg = renderSweepSvg(rows);
    expect(svg.startsWith('<svg')).toBe(true);
    const polylines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => (m[1] ?? '').split(' ').length);
    expect(polylines).toEqual([2, 2, 2, 2, 2]);
  });
});
