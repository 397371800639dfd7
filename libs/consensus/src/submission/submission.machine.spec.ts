import { VerdictKind } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { ConsensusError, ConsensusErrorCode } from '../consensus.errors';
import { addr } from '../testing/consensus.fixtures';
import { transition } from './submission.machine';
import type { ConsensusConfig, SubmissionEvent, SubmissionState } from './submission.types';

const { ACCEPT, REJECT } = VerdictKind;
const config: ConsensusConfig = { windowMs: 1_000, submitterShareBps: 8_000, tally: 'spec' };
const S = 'sub-1';
const A = addr(1);
const [V1, V2, V3] = [addr(11), addr(12), addr(13)];
const T0 = 10_000;

function submit(selected = [V1, V2]): SubmissionState {
  const event: SubmissionEvent = {
    kind: 'submitted',
    submissionId: S,
    taskId: 'task-1',
    submitter: A,
    fee: 100n,
    selectedVerifiers: selected,
  };
  return transition(undefined, event, T0, config).state;
}
const verdict = (verifier: string, kind: VerdictKind): SubmissionEvent => ({ kind: 'verdict', submissionId: S, verifier, verdict: kind });
const close = (activeNodes: number): SubmissionEvent => ({ kind: 'window-closed', submissionId: S, activeNodes });

function expectCode(fn: () => unknown, code: ConsensusErrorCode, field: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConsensusError);
    expect((e as ConsensusError).code).toBe(code);
    expect((e as ConsensusError).field).toBe(field);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe('submission state machine', () => {
  it('opens pending with a window of windowMs and the submitter removed from the selection', () => {
    const sut = transition(
      undefined,
      { kind: 'submitted', submissionId: S, taskId: 't', submitter: A, fee: 0n, selectedVerifiers: [A, V1, V1] },
      T0,
      config,
    );
    expect(sut.effects).toEqual([]);
    expect(sut.state).toMatchObject({ phase: 'pending', closesAt: T0 + 1_000, selectedVerifiers: [V1], disputeOpen: false });
  });

  it('fast path: all selected verifiers accept -> accepted-fast; a later REJECT reopens it as a dispute', () => {
    let s = submit();
    s = transition(s, verdict(V1, ACCEPT), T0 + 10, config).state;
    expect(s.phase).toBe('pending');
    const fast = transition(s, verdict(V2, ACCEPT), T0 + 20, config);
    expect(fast.state.phase).toBe('accepted-fast');
    expect(fast.effects).toEqual([{ kind: 'fast-accepted', submissionId: S }]);

    const reopened = transition(fast.state, verdict(V3, REJECT), T0 + 900, config);
    expect(reopened.state).toMatchObject({ phase: 'disputed', disputeOpen: true, closesAt: T0 + 900 + 1_000 });
    expect(reopened.effects).toEqual([
      { kind: 'open-dispute', key: `${S}/open-dispute`, disputeId: S, accused: A },
      ...[V1, V2, V3].map((v) => ({ kind: 'join-dispute', key: `${S}/join/${v}`, disputeId: S, address: v })),
      { kind: 'announce-dispute', submissionId: S, accused: A, closesAt: T0 + 1_900 },
    ]);
    // Later voters are frozen too, including those arriving after the close time.
    const late = transition(reopened.state, verdict(addr(99), ACCEPT), T0 + 5_000, config);
    expect(late.effects).toEqual([{ kind: 'join-dispute', key: `${S}/join/${addr(99)}`, disputeId: S, address: addr(99) }]);
  });

  it('no fast path with nobody selected', () => {
    const s = transition(submit([]), verdict(V1, ACCEPT), T0 + 1, config);
    expect(s.state.phase).toBe('pending');
  });

  it('window closes with only ACCEPTs: accepted, fee paid to submitter and accepting verifiers, nobody liquidated', () => {
    let s = submit();
    s = transition(s, verdict(V1, ACCEPT), T0 + 1, config).state;
    const sut = transition(s, close(100), T0 + 1_000, config);
    expect(sut.state.phase).toBe('decided');
    expect(sut.state.decision).toMatchObject({ outcome: 'accepted', winners: [A, V1], losers: [], activeNodes: 100 });
    expect(sut.effects).toEqual([
      { kind: 'payout-fee', key: `${S}/payout-fee`, taskId: 'task-1', submitter: A, verifiers: [V1], submitterShareBps: 8_000 },
      { kind: 'decided', submissionId: S, outcome: 'accepted' },
    ]);
  });

  it('a dispute decided rejected liquidates the submitter and its backers and pays the rejecters', () => {
    let s = submit();
    s = transition(s, verdict(V1, ACCEPT), T0 + 1, config).state;
    s = transition(s, verdict(V2, REJECT), T0 + 2, config).state;
    for (let i = 0; i < 30; i++) s = transition(s, verdict(addr(100 + i), REJECT), T0 + 3, config).state;
    const sut = transition(s, close(40), s.closesAt, config);
    expect(sut.state.decision?.outcome).toBe('rejected');
    const kinds = sut.effects.map((e) => e.kind);
    expect(kinds).toEqual(['liquidate', 'liquidate', 'distribute-pool', 'payout-fee', 'decided']);
    expect(sut.effects.filter((e) => e.kind === 'liquidate').map((e) => (e.kind === 'liquidate' ? e.address : ''))).toEqual([A, V1]);
    const payout = sut.effects.find((e) => e.kind === 'payout-fee');
    expect(payout).toMatchObject({ submitterShareBps: 0 });
    expect(payout?.kind === 'payout-fee' && payout.verifiers.length).toBe(31);
  });

  it('undecided extends the window; a verdict that arrived after the close is ignored then, counted after the extension', () => {
    let s = submit([]);
    s = transition(s, verdict(V1, REJECT), T0 + 1, config).state; // dispute: closes at T0 + 1001
    const closesAt = s.closesAt;
    s = transition(s, verdict(V2, REJECT), closesAt, config).state; // late for this window
    const undecided = transition(s, close(100), closesAt + 5, config);
    // counted: claim (ACCEPT) vs V1 (REJECT) -> tie
    expect(undecided.state).toMatchObject({ phase: 'undecided-extended', extensions: 1, closesAt: closesAt + 5 + 1_000 });
    expect(undecided.state.widened).toBe(true);
    expect(undecided.effects).toEqual([
      { kind: 'window-extended', submissionId: S, closesAt: closesAt + 1_005, final: false, reason: 'undecided' },
    ]);

    const decided = transition(undecided.state, close(2), undecided.state.closesAt, config);
    // now V2 counts: n = 2 REJECT, m = 1; 200 > 66 * 2 holds.
    expect(decided.state.decision).toMatchObject({ outcome: 'rejected', winners: [V1, V2], losers: [A] });
  });

  it('a REJECT after the close time opens no dispute and is not counted', () => {
    const s = transition(submit(), verdict(V2, ACCEPT), T0 + 1, config);
    const late = transition(s.state, verdict(V1, REJECT), T0 + 1_000, config);
    expect(late.effects).toEqual([]);
    expect(late.state.phase).toBe('pending');
    const sut = transition(late.state, close(3), T0 + 1_000, config);
    expect(sut.state.decision).toMatchObject({ outcome: 'accepted', losers: [], m: 0 });
  });

  it('a close at which nobody answered widens the committee for one more window instead of accepting unchecked', () => {
    const s = submit();
    const silent = transition(s, close(3), T0 + 1_000, config);
    expect(silent.state).toMatchObject({ phase: 'undecided-extended', widened: true, extensions: 1, closesAt: T0 + 2_000, decision: null });
    expect(silent.effects).toEqual([{ kind: 'window-extended', submissionId: S, closesAt: T0 + 2_000, final: false, reason: 'silent' }]);
    // Any active key may now answer: a REJECT from one the lottery never drew opens the dispute.
    const outsider = addr(0x99);
    const accused = transition(silent.state, verdict(outsider, REJECT), T0 + 1_500, config);
    expect(accused.effects.map((e) => e.kind)).toEqual(['open-dispute', 'join-dispute', 'announce-dispute']);
    const joined = transition(accused.state, verdict(V1, REJECT), T0 + 1_600, config).state;
    const decided = transition(joined, close(3), joined.closesAt, config);
    expect(decided.state.decision).toMatchObject({ outcome: 'rejected', winners: [V1, outsider].sort(), losers: [A] });
  });

  it('silence of the whole network after the widening accepts (m = 0), so silence never stalls a submission', () => {
    const silent = transition(submit(), close(3), T0 + 1_000, config).state;
    const sut = transition(silent, close(3), silent.closesAt, config);
    expect(sut.state.decision).toMatchObject({ outcome: 'accepted', m: 0, final: false });
    expect(sut.state.extensions).toBe(1);
  });

  it('with no extensions left a silent close accepts at once (maxExtensions 0)', () => {
    const sut = transition(submit(), close(3), T0 + 1_000, { ...config, maxExtensions: 0 });
    expect(sut.state.decision).toMatchObject({ outcome: 'accepted', m: 0 });
  });

  it('the submitter verifying its own result is ignored', () => {
    const s = submit();
    const sut = transition(s, verdict(A, REJECT), T0 + 1, config);
    expect(sut.state).toBe(s);
    expect(sut.effects).toEqual([]);
  });

  it('replays have one effect: same submission again, same verifier again, ticks after the decision', () => {
    const s = submit();
    const again = transition(
      s,
      { kind: 'submitted', submissionId: S, taskId: 'task-1', submitter: A, fee: 100n, selectedVerifiers: [V1, V2] },
      T0 + 1,
      config,
    );
    expect(again.state).toBe(s);
    const once = transition(s, verdict(V1, ACCEPT), T0 + 2, config).state;
    expect(transition(once, verdict(V1, REJECT), T0 + 3, config).state).toBe(once);
    const decided = transition(once, close(5), T0 + 1_000, config).state;
    expect(transition(decided, close(5), T0 + 2_000, config)).toEqual({ state: decided, effects: [] });
    expect(transition(decided, verdict(V3, REJECT), T0 + 2_000, config).state).toBe(decided);
  });

  it('illegal transitions are errors with a code and a field', () => {
    const s = submit();
    expectCode(() => transition(undefined, verdict(V1, ACCEPT), T0, config), ConsensusErrorCode.UNKNOWN_SUBMISSION, 'submissionId');
    expectCode(
      () => transition(s, { ...verdict(V1, ACCEPT), submissionId: 'other' }, T0, config),
      ConsensusErrorCode.SUBMISSION_MISMATCH,
      'submissionId',
    );
    expectCode(
      () =>
        transition(
          s,
          { kind: 'submitted', submissionId: S, taskId: 'task-1', submitter: A, fee: 99n, selectedVerifiers: [V1, V2] },
          T0,
          config,
        ),
      ConsensusErrorCode.SUBMISSION_CONFLICT,
      'submissionId',
    );
    expectCode(() => transition(s, close(3), T0 + 999, config), ConsensusErrorCode.WINDOW_OPEN, 'now');
    expectCode(() => transition(s, verdict(V1, ACCEPT), T0 - 1, config), ConsensusErrorCode.CLOCK_REGRESSION, 'now');
    expectCode(() => transition(s, verdict('0xABC', ACCEPT), T0, config), ConsensusErrorCode.INVALID_EVENT, 'verifier');
    expectCode(() => transition(s, verdict(V1, 'MAYBE' as VerdictKind), T0, config), ConsensusErrorCode.INVALID_EVENT, 'verdict');
    expectCode(() => transition(s, close(-1), T0 + 1_000, config), ConsensusErrorCode.INVALID_EVENT, 'activeNodes');
    expectCode(() => transition(s, close(1), T0 + 1_000, { ...config, windowMs: 0 }), ConsensusErrorCode.INVALID_CONFIG, 'windowMs');
    expectCode(
      () =>
        transition(
          undefined,
          { kind: 'submitted', submissionId: S, taskId: 't', submitter: A, fee: -1n, selectedVerifiers: [] },
          T0,
          config,
        ),
      ConsensusErrorCode.INVALID_EVENT,
      'fee',
    );
  });
});
