import { VerdictKind } from '@aegis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsensusError } from '../consensus.errors';
import type { TallyRule } from '../tally/stake.tally';
import { ruleHolds, tally } from '../tally/tally.rule';
import { addr } from '../testing/consensus.fixtures';
import { DEFAULT_MAX_EXTENSIONS, transition } from './submission.machine';
import type { ConsensusConfig, SubmissionEffect, SubmissionEvent, SubmissionState } from './submission.types';

const configs: Record<TallyRule, ConsensusConfig> = {
  spec: { windowMs: 100, submitterShareBps: 5_000, tally: 'spec' },
  stake: { windowMs: 100, submitterShareBps: 5_000, tally: 'stake' },
};
const S = 's';
const SUBMITTER = addr(1);
const POOL = Array.from({ length: 12 }, (_, i) => addr(i + 1)); // includes the submitter on purpose

type Step = { type: 'verdict'; who: number; roll: number; dt: number } | { type: 'close'; active: number; late: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ type: fc.constant('verdict' as const), who: fc.nat(POOL.length - 1), roll: fc.nat(99), dt: fc.nat(40) }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('close' as const), active: fc.nat(14), late: fc.nat(20) }) },
);

interface Trace {
  readonly states: SubmissionState[];
  readonly effects: SubmissionEffect[][];
}

/** Stakes of the pool for the stake tally: uneven on purpose (1..12 units), one address holding more than several others. */
const STAKES = new Map(POOL.map((a, i) => [a, BigInt(((i * 7) % 12) + 1) * 1_000n]));
const TOTAL_STAKE = [...STAKES.values()].reduce((a, b) => a + b, 0n);

/** Folds a random schedule through the machine; ticks are placed at or after the close time. */
function run(steps: readonly Step[], selected: readonly number[], acceptPercent: number, config: ConsensusConfig): Trace {
  const t0 = 1_000;
  const open: SubmissionEvent = {
    kind: 'submitted',
    submissionId: S,
    taskId: 't',
    submitter: SUBMITTER,
    fee: 10n,
    selectedVerifiers: selected.map((i) => POOL[i] ?? SUBMITTER),
  };
  let now = t0;
  let state = transition(undefined, open, now, config).state;
  const states = [state];
  const effects: SubmissionEffect[][] = [[]];
  for (const step of steps) {
    let event: SubmissionEvent;
    if (step.type === 'verdict') {
      now += step.dt;
      event = {
        kind: 'verdict',
        submissionId: S,
        verifier: POOL[step.who] ?? SUBMITTER,
        verdict: step.roll < acceptPercent ? VerdictKind.ACCEPT : VerdictKind.REJECT,
      };
    } else {
      now = Math.max(now, state.closesAt) + step.late;
      // The active stake scales with the active count, so both rules see a network of the same size.
      event = {
        kind: 'window-closed',
        submissionId: S,
        activeNodes: step.active,
        activeStake: (TOTAL_STAKE * BigInt(step.active)) / 12n,
        stakes: STAKES,
      };
    }
    const r = transition(state, event, now, config);
    state = r.state;
    states.push(state);
    effects.push([...r.effects]);
  }
  return { states, effects };
}

// A per-schedule bias towards ACCEPT or REJECT, so that clear majorities (and thus liquidations)
// are common rather than the ties a fair coin produces.
const scheduleArb = fc.tuple(
  fc.array(stepArb, { minLength: 1, maxLength: 40, size: 'medium' }),
  fc.uniqueArray(fc.nat(POOL.length - 1), { minLength: 1, maxLength: 3 }),
  fc.nat(100),
);

describe.each(['spec', 'stake'] as const)('submission machine invariants under tally: %s (fast-check)', (rule) => {
  const config = configs[rule];
  it('the schedule generator reaches every terminal situation (else the properties below prove little)', () => {
    const traces = fc.sample(scheduleArb, { numRuns: 500, seed: 42 }).map(([steps, selected, bias]) => run(steps, selected, bias, config));
    const share = (pred: (t: Trace) => boolean): number => traces.filter(pred).length / traces.length;
    expect(share((t) => t.effects.flat().some((e) => e.kind === 'liquidate'))).toBeGreaterThan(0.15);
    expect(share((t) => t.states.some((s) => s.phase === 'undecided-extended'))).toBeGreaterThan(0.1);
    expect(share((t) => t.states.some((s) => s.phase === 'accepted-fast'))).toBeGreaterThan(0.01);
    expect(share((t) => t.states.some((s) => s.decision?.outcome === 'rejected'))).toBeGreaterThan(0.1);
  });

  it('a decided submission never changes its outcome, winners or losers, whatever follows', () => {
    fc.assert(
      fc.property(scheduleArb, ([steps, selected, bias]) => {
        const { states } = run(steps, selected, bias, config);
        const first = states.findIndex((s) => s.phase === 'decided');
        if (first < 0) return;
        for (const later of states.slice(first)) expect(later).toBe(states[first]);
      }),
      { numRuns: 500 },
    );
  });

  it('nobody is liquidated unless the rule held: a dispute, a decision with n > min(10m, 0.66 active) or a final majority, and a loser', () => {
    fc.assert(
      fc.property(scheduleArb, ([steps, selected, bias]) => {
        const { states, effects } = run(steps, selected, bias, config);
        effects.forEach((batch, i) => {
          const liquidated = batch.flatMap((e) => (e.kind === 'liquidate' ? [e.address] : []));
          if (liquidated.length === 0) return;
          const d = states[i]?.decision;
          expect(d).toBeTruthy();
          if (!d) return;
          expect(states[i - 1]?.disputeOpen).toBe(true);
          // Under the stake tally the winning side may hold fewer addresses (that is the point).
          if (rule === 'spec') expect(d.n).toBeGreaterThan(d.m);
          // The threshold decided it, or the extensions were spent and the larger side did (liveness).
          if (d.final) expect(states[i - 1]?.extensions ?? 0).toBeGreaterThanOrEqual(DEFAULT_MAX_EXTENSIONS);
          else if (rule === 'spec') expect(ruleHolds(d.n, d.m, d.activeNodes)).toBe(true);
          expect([...liquidated].sort()).toEqual([...d.losers]);
          for (const w of d.winners) expect(liquidated).not.toContain(w);
        });
        // Every liquidation in the whole trace happens in exactly one transition.
        const all = effects.flat().filter((e) => e.kind === 'liquidate');
        expect(new Set(all.map((e) => (e.kind === 'liquidate' ? e.key : ''))).size).toBe(all.length);
      }),
      { numRuns: 500 },
    );
  });

  it('undecided implies an open dispute or a silent close (with m = 0 the rule always holds), and a widened committee', () => {
    fc.assert(
      fc.property(scheduleArb, ([steps, selected, bias]) => {
        const { states, effects } = run(steps, selected, bias, config);
        states.forEach((s, i) => {
          if (s.phase !== 'undecided-extended') return;
          expect(s.widened).toBe(true);
          const extended = (effects[i] ?? []).find((e) => e.kind === 'window-extended');
          if (extended?.kind === 'window-extended' && extended.reason === 'undecided') expect(s.disputeOpen).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('widening: once widened, always widened; the first extension of any kind widens; silence extends at most once', () => {
    fc.assert(
      fc.property(scheduleArb, ([steps, selected, bias]) => {
        const { states, effects } = run(steps, selected, bias, config);
        let silentCloses = 0;
        states.forEach((s, i) => {
          if (i > 0 && states[i - 1]?.widened) expect(s.widened).toBe(true);
          if (s.extensions > 0) expect(s.widened).toBe(true);
          if ((effects[i] ?? []).some((e) => e.kind === 'window-extended' && e.reason === 'silent')) silentCloses++;
        });
        expect(silentCloses).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('nothing is decided unchecked while extensions remain: an accepted decision with no counted verdict comes after the widening', () => {
    fc.assert(
      fc.property(scheduleArb, ([steps, selected, bias]) => {
        for (const s of run(steps, selected, bias, config).states) {
          if (s.decision === null || s.decision.final) continue;
          const counted = s.verdicts.filter((v) => v.at < s.closesAt);
          if (counted.length === 0) expect(s.widened).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('monotone in n: more instances for the winning side never turn a decision undecided or flip it', () => {
    fc.assert(
      fc.property(fc.nat(30), fc.nat(30), fc.nat(100), fc.integer({ min: 1, max: 30 }), (a, r, active, extra) => {
        const votes = (accepts: number, rejects: number) => [
          ...Array.from({ length: accepts }, (_, i) => ({ verifier: addr(100 + i), kind: VerdictKind.ACCEPT })),
          ...Array.from({ length: rejects }, (_, i) => ({ verifier: addr(1_000 + i), kind: VerdictKind.REJECT })),
        ];
        const before = tally({ submitter: SUBMITTER, votes: votes(a, r), activeNodes: active });
        if (before.kind !== 'decided') return;
        const more = before.outcome === 'accepted' ? votes(a + extra, r) : votes(a, r + extra);
        const after = tally({ submitter: SUBMITTER, votes: more, activeNodes: active });
        expect(after.kind).toBe('decided');
        expect(after.kind === 'decided' && after.outcome).toBe(before.outcome);
      }),
      { numRuns: 1_000 },
    );
  });

  it('liveness: every submission is decided by the close after its last extension, whatever the verdicts', () => {
    fc.assert(
      fc.property(scheduleArb, ([steps, selected, bias]) => {
        const { states } = run(steps, selected, bias, config);
        let state = states[states.length - 1];
        if (!state) return;
        for (let i = 0; i <= DEFAULT_MAX_EXTENSIONS && state.phase !== 'decided'; i++) {
          state = transition(
            state,
            { kind: 'window-closed', submissionId: S, activeNodes: 12, activeStake: TOTAL_STAKE, stakes: STAKES },
            Math.max(state.closesAt, state.lastEventAt),
            config,
          ).state;
        }
        expect(state.phase).toBe('decided');
        expect(state.extensions).toBeLessThanOrEqual(DEFAULT_MAX_EXTENSIONS);
      }),
      { numRuns: 500 },
    );
  });

  it('events only ever fail with a ConsensusError, never anything else', () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: -5, max: 5 }), ([steps, selected, bias], skew) => {
        const { states } = run(steps, selected, bias, config);
        const last = states[states.length - 1];
        if (!last) return;
        try {
          transition(
            last,
            { kind: 'window-closed', submissionId: S, activeNodes: 3, activeStake: 3_000n, stakes: STAKES },
            last.closesAt + skew,
            config,
          );
        } catch (e) {
          expect(e).toBeInstanceOf(ConsensusError);
        }
      }),
      { numRuns: 200 },
    );
  });
});
