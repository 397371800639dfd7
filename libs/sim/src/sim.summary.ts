import type { SweepData, SweepPoint } from './sim.sweep';

/** The share the rate goal is stated at; the summary reads the point nearest to it. */
export const GOAL_SHARE = 0.33;

export interface SweepSummaryRow {
  readonly strategy: string;
  readonly tally: string;
  readonly nodes: number;
  readonly tasks: number;
  /** Over the points with attacker stake share below 0.5. */
  readonly honestSlashed: number;
  readonly undecided: number;
  readonly wrongFinalised: number;
  readonly wrongFinalisedUndisputed: number;
  /** Undisputed wrong results per task at the point nearest GOAL_SHARE, and that point's share. */
  readonly undisputedPerTaskNearGoal: number;
  readonly goalPointShare: number;
  /** Largest undisputed rate per task over the points up to GOAL_SHARE + 0.03. */
  readonly maxUndisputedPerTaskToGoal: number;
  readonly maxAttackerProfit: number;
  readonly auditCaught: number;
  /** First share where an honest node is slashed, something is left undecided, a disputed wrong result is finalised or the attacker profits; null: none. */
  readonly firstBreak: number | null;
}

export function summarise(d: SweepData): SweepSummaryRow {
  const below = d.points.filter((p) => p.attackerStakeShare < 0.5);
  const sum = (f: (p: SweepPoint) => number): number => below.reduce((s, p) => s + f(p), 0);
  const perTask = (p: SweepPoint): number => (p.tasks > 0 ? p.wrongFinalisedUndisputed / p.tasks : 0);
  const nearest = [...d.points].sort(
    (a, b) => Math.abs(a.attackerStakeShare - GOAL_SHARE) - Math.abs(b.attackerStakeShare - GOAL_SHARE),
  )[0];
  const upToGoal = d.points.filter((p) => p.attackerStakeShare <= GOAL_SHARE + 0.03);
  const broken = d.points.find(
    (p) => p.honestSlashed > 0 || p.undecided > 0 || p.wrongFinalised > p.wrongFinalisedUndisputed || p.attackerProfit > 0,
  );
  return {
    strategy: d.strategy,
    tally: d.tally,
    nodes: d.points[0]?.nodes ?? 0,
    tasks: d.points[0]?.tasks ?? 0,
    honestSlashed: sum((p) => p.honestSlashed),
    undecided: sum((p) => p.undecided),
    wrongFinalised: sum((p) => p.wrongFinalised),
    wrongFinalisedUndisputed: sum((p) => p.wrongFinalisedUndisputed),
    undisputedPerTaskNearGoal: nearest ? perTask(nearest) : 0,
    goalPointShare: nearest?.attackerStakeShare ?? 0,
    maxUndisputedPerTaskToGoal: Math.max(0, ...upToGoal.map(perTask)),
    maxAttackerProfit: below.length > 0 ? Math.max(...below.map((p) => p.attackerProfit)) : 0,
    auditCaught: sum((p) => p.auditCaught ?? 0),
    firstBreak: broken?.attackerStakeShare ?? null,
  };
}

/** One Markdown table over every strategy and tally, sorted by strategy then tally (stake first). */
export function renderSweepSummary(data: readonly SweepData[]): string {
  const rows = data
    .map(summarise)
    .sort((a, b) => (a.strategy === b.strategy ? (a.tally === 'stake' ? -1 : 1) : a.strategy < b.strategy ? -1 : 1));
  const lines = [
    '| strategy | tally | size | honest slashed, shares < 0.5 | undecided, shares < 0.5 | wrong finalised (undisputed), shares < 0.5 | undisputed wrong-final per task near 0.33 | max of that up to 0.36 | audits caught, shares < 0.5 | max attacker profit, shares < 0.5 | first share with an honest node slashed, an undecided, a disputed wrong result finalised or a profit |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.strategy} | ${r.tally} | ${r.nodes} x ${r.tasks} | ${r.honestSlashed} | ${r.undecided} | ${r.wrongFinalised} (${r.wrongFinalisedUndisputed}) | ${r.undisputedPerTaskNearGoal.toFixed(4)} at ${r.goalPointShare.toFixed(3)} | ${r.maxUndisputedPerTaskToGoal.toFixed(4)} | ${r.auditCaught} | ${r.maxAttackerProfit} | ${r.firstBreak === null ? '-' : r.firstBreak.toFixed(3)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
