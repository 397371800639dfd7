import type { SimOptions } from '../sim.options';
import type { SimResult } from '../sim.engine';

/**
 * Runs whose results are pinned in determinism.golden.json: a speed-up of the simulator must leave
 * every figure of every one unchanged (same seed, same output). Small, but each exercises disputes,
 * extensions, liquidations and redraws. Regenerate the file only for a deliberate change of behaviour.
 */
const CASES: readonly Partial<SimOptions>[] = [
  { strategy: 'colluding', cheaters: 0.3, k: 3, tally: 'stake' },
  { strategy: 'colluding-split', cheaters: 0.3, k: 3, tally: 'spec' },
  { strategy: 'griefing', cheaters: 0.45, k: 11, tally: 'stake' },
  { strategy: 'withholding', cheaters: 0.35, k: 3, tally: 'stake' },
  { strategy: 'adaptive-split', cheaters: 0.25, k: 11, tally: 'stake' },
  { strategy: 'lazy-verifiers', cheaters: 0.3, k: 2, tally: 'spec' },
];

export const DETERMINISM_CASES: readonly Partial<SimOptions>[] = CASES.map((c) => ({
  nodes: 50,
  tasks: 250,
  windowSeconds: 600,
  taskIntervalSeconds: 10,
  seed: 'golden',
  ...c,
}));

/** A result as JSON (bigints as strings), without the wall time. */
export function pinned(r: SimResult): Record<string, unknown> {
  const { elapsedMs: _elapsed, ...rest } = r;
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
}
