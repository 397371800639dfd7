import { VerdictKind } from '@aegis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsensusError, ConsensusErrorCode } from '../consensus.errors';
import { addr } from '../testing/consensus.fixtures';
import { ruleHolds } from '../tally/tally.rule';
import { auditDisputeId } from './audit.dispute';
import { transition } from './submission.machine';
import type { AuditFailure, ConsensusConfig, LedgerEffect, SubmissionEffect, SubmissionEvent, SubmissionState } from './submission.types';

const config: ConsensusConfig = { windowMs: 100, submitterShareBps: 5_000, tally: 'spec' };
const S = 's';
const A = addr(1);
const V1 = addr(2);
const V2 = addr(3);
const V3 = addr(4);

function open(selected: readonly string[] = [V1, V2], t = 0): SubmissionState {
  return transition(
    undefined,
    { kind: 'submitted', submissionId: S, taskId: 't', submitter: A, fee: 100n, selectedVerifiers: selected },
    t,
    config,
  ).state;
}
const verdict = (verifier: string, v: VerdictKind): SubmissionEvent => ({ kind: 'verdict', submissionId: S, verifier, verdict: v });
const failed = (verifier: string, failure: AuditFailure = 'audit-failed'): SubmissionEvent => ({
  kind: 'verdict-failed',
  submissionId: S,
  verifier,
  failure,
});
const close = (activeNodes = 10): SubmissionEvent => ({ kind: 'window-closed', submissionId: S, activeNodes });
const ledger = (effects: readonly SubmissionEffect[]): LedgerEffect[] =>
  effects.filter((e): e is LedgerEffect => ['open-dispute', 'join-dispute', 'liquidate', 'distribute-pool', 'payout-fee'].includes(e.kind));

describe('verdict-failed: a verifier caught by the PoW checker is liquidated (DESIGN 2.4)', () => {
  it('opens an audit dispute against the verifier and liquidates it at once, with deterministic keys', () => {
    const d = auditDisputeId(S, V1);
    expect(d).toMatch(/^0x[0-9a-f]{64}$/);
    expect(d).not.toBe(auditDisputeId(S, V2));
    expect(d).not.toBe(auditDisputeId('other', V1));
    const r = transition(open(), failed(V1, 'pow-failed'), 10, config);
    expect(r.effects).toEqual([
      { kind: 'open-dispute', key: `${S}/audit/${V1}/open-dispute`, disputeId: d, accused: V1 },
      { kind: 'liquidate', key: `${S}/audit/${V1}/liquidate`, disputeId: d, address: V1 },
    ]);
    expect(r.state.failedAudits).toEqual([{ verifier: V1, failure: 'pow-failed', at: 10, disputeId: d }]);
    // The submitter is not made a party of anything: nobody contradicted its result.
    expect(r.state.disputeOpen).toBe(false);
  });

  it('a second failure of the same verifier (redelivery) changes nothing', () => {
    const once = transition(open(), failed(V1), 10, config).state;
    const twice = transition(once, failed(V1, 'pow-failed'), 11, config);
    expect(twice.state).toBe(once);
    expect(twice.effects).toEqual([]);
  });

  it('the caught verifier loses its vote: an earlier ACCEPT stops counting and later verdicts are ignored', () => {
    let s = open([V1, V2]);
    s = transition(s, verdict(V1, VerdictKind.ACCEPT), 1, config).state;
    s = transition(s, failed(V1), 2, config).state;
    const later = transition(s, verdict(V1, VerdictKind.REJECT), 3, config);
    expect(later.state).toBe(s);
    // V2 accepting alone is not "every selected verifier accepted" any more: V1 was caught.
    s = transition(s, verdict(V2, VerdictKind.ACCEPT), 4, config).state;
    expect(s.phase).toBe('pending');
    const decided = transition(s, close(), 100, config);
    expect(decided.state.decision?.winners).toEqual([A, V2]);
    expect(decided.state.decision?.n).toBe(2);
  });

  it('at the decision the audit pool is paid to the winning side, caught verifiers excluded', () => {
    let s = open([V1, V2, V3]);
    s = transition(s, verdict(V2, VerdictKind.ACCEPT), 1, config).state;
    s = transition(s, failed(V1), 2, config).state;
    const r = transition(s, close(), 100, config);
    const pool = ledger(r.effects).filter((e) => e.kind === 'distribute-pool');
    expect(pool).toEqual([
      { kind: 'distribute-pool', key: `${S}/audit/${V1}/distribute-pool`, disputeId: auditDisputeId(S, V1), winners: [A, V2] },
    ]);
    // No dispute on the result itself: nothing else is liquidated.
    expect(ledger(r.effects).filter((e) => e.kind === 'liquidate')).toEqual([]);
  });

  it('a failure after the decision is liquidated and paid to the decided side at once', () => {
    let s = open([V1, V2]);
    s = transition(s, verdict(V2, VerdictKind.ACCEPT), 1, config).state;
    s = transition(s, close(), 100, config).state;
    const r = transition(s, failed(V1), 150, config);
    expect(r.effects.map((e) => e.kind)).toEqual(['open-dispute', 'liquidate', 'distribute-pool']);
    expect(r.effects[2]).toMatchObject({ winners: [A, V2], disputeId: auditDisputeId(S, V1) });
    // The decision itself is final.
    expect(r.state.decision).toBe(s.decision);
  });

  it('refuses an unknown failure kind naming the field', () => {
    const bad = { kind: 'verdict-failed', submissionId: S, verifier: V1, failure: 'not-eligible' } as unknown as SubmissionEvent;
    expect(() => transition(open(), bad, 1, config)).toThrowError(
      expect.objectContaining({ code: ConsensusErrorCode.INVALID_EVENT, field: 'failure' }) as Error,
    );
    expect(() => transition(open(), bad, 1, config)).toThrow(ConsensusError);
  });
});

/**
 * Honest verifiers send only verdicts that pass the checker and vote the truth (the result is
 * correct: ACCEPT); lazy ones are caught at least once at a random point, and may also have voted.
 */
const POOL = Array.from({ length: 10 }, (_, i) => addr(i + 2));
type Step = { type: 'vote' | 'fail'; who: number; dt: number; failure: AuditFailure } | { type: 'close'; active: number; late: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constantFrom('vote' as const, 'fail' as const),
      who: fc.nat(POOL.length - 1),
      dt: fc.nat(40),
      failure: fc.constantFrom<AuditFailure>('pow-failed', 'audit-failed'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('close' as const), active: fc.nat(12), late: fc.nat(20) }) },
);
const scheduleArb = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }),
  lazy: fc.uniqueArray(fc.nat(POOL.length - 1), { maxLength: 4 }),
  lazyVotesReject: fc.boolean(),
  selected: fc.uniqueArray(fc.nat(POOL.length - 1), { minLength: 1, maxLength: 3 }),
});

describe('audit liquidation invariants (fast-check)', () => {
  it('an honest verifier is never liquidated; a verifier with a failed audit always is, exactly once, and its pool is paid once iff decided', () => {
    fc.assert(
      fc.property(scheduleArb, ({ steps, lazy, lazyVotesReject, selected }) => {
        const lazySet = new Set(lazy.map((i) => POOL[i] ?? A));
        let now = 0;
        let state = open(
          selected.map((i) => POOL[i] ?? A),
          now,
        );
        const effects: SubmissionEffect[] = [];
        const caught = new Set<string>();
        let caughtBeforeDecision = new Set<string>();
        for (const step of steps) {
          let event: SubmissionEvent;
          if (step.type === 'close') {
            now = Math.max(now, state.closesAt) + step.late;
            event = close(step.active);
          } else {
            now += step.dt;
            const who = POOL[step.who] ?? A;
            const isLazy = lazySet.has(who);
            if (step.type === 'fail' && isLazy) {
              event = failed(who, step.failure);
              caught.add(who);
            } else {
              // Honest: ACCEPT the correct result. Lazy voters whose verdict slipped through may lie.
              event = verdict(who, isLazy && lazyVotesReject ? VerdictKind.REJECT : VerdictKind.ACCEPT);
            }
          }
          const r = transition(state, event, now, config);
          if (r.state.decision && !state.decision) caughtBeforeDecision = new Set(caught);
          state = r.state;
          effects.push(...r.effects);
        }
        const liquidated = effects.flatMap((e) => (e.kind === 'liquidate' ? [e.address] : []));
        // Lying lazy voters can outvote the honest side when they clear the spec's bound (e.g. two
        // liars against one honest node in a three-node network): then the tally decided against
        // honest nodes, and only the rule itself (ruleHolds on the recorded n, m, active) stands
        // between them and their stake. Otherwise only a caught verifier or a losing liar pays.
        const d = state.decision;
        const liarsWon = d !== null && d.outcome === 'rejected';
        if (liarsWon) expect(ruleHolds(d.n, d.m, d.activeNodes)).toBe(true);
        for (const addrLiquidated of liquidated) {
          if (liarsWon && d.losers.includes(addrLiquidated)) continue;
          expect(lazySet.has(addrLiquidated)).toBe(true);
        }
        for (const v of caught) {
          const mine = effects.filter((e) => e.kind === 'liquidate' && e.disputeId === auditDisputeId(S, v));
          expect(mine).toHaveLength(1);
          const paid = effects.filter((e) => e.kind === 'distribute-pool' && e.disputeId === auditDisputeId(S, v));
          expect(paid).toHaveLength(state.decision ? 1 : 0);
          for (const p of paid)
            if (p.kind === 'distribute-pool') for (const w of p.winners) expect(caughtBeforeDecision.has(w)).toBe(false);
        }
        // Ledger idempotency keys never repeat within one submission's history.
        const keys = ledger(effects).map((e) => e.key);
        expect(new Set(keys).size).toBe(keys.length);
        // A verifier caught before the tally never counts in it.
        for (const w of state.decision?.winners ?? []) expect(caughtBeforeDecision.has(w)).toBe(false);
        for (const l of state.decision?.losers ?? []) expect(caughtBeforeDecision.has(l)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
