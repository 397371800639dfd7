import { type Address, isAddress, VerdictKind } from '@aegis/protocol';
import { ConsensusError, ConsensusErrorCode, invalid } from '../consensus.errors';
import { DEFAULT_TALLY_RULE, TALLY_RULES, tallyByStake } from '../tally/stake.tally';
import { tally, type TallyResult } from '../tally/tally.rule';
import { auditDisputeId } from './audit.dispute';
import type {
  AuditFailure,
  ConsensusConfig,
  Decision,
  EpochMs,
  RecordedVerdict,
  SubmissionEffect,
  SubmissionEvent,
  SubmissionState,
  TransitionResult,
} from './submission.types';

const AUDIT_FAILURES: readonly AuditFailure[] = ['pow-failed', 'audit-failed'];

const MAX_BPS = 10_000;

/** Extensions an undecided submission gets before the larger side decides (3: a dispute ends within 4 windows). */
export const DEFAULT_MAX_EXTENSIONS = 3;
const MAX_EXTENSIONS_LIMIT = 100;

/** Throws INVALID_CONFIG naming the field unless the config is usable. */
export function validateConsensusConfig(config: ConsensusConfig): ConsensusConfig {
  if (!Number.isSafeInteger(config.windowMs) || config.windowMs <= 0) {
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'windowMs', 'must be a positive integer');
  }
  if (!Number.isInteger(config.submitterShareBps) || config.submitterShareBps < 0 || config.submitterShareBps > MAX_BPS) {
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'submitterShareBps', 'must be an integer in 0..10000');
  }
  if (config.tally !== undefined && !TALLY_RULES.includes(config.tally)) {
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'tally', `must be one of ${TALLY_RULES.join(', ')}`);
  }
  if (
    config.maxExtensions !== undefined &&
    (!Number.isSafeInteger(config.maxExtensions) || config.maxExtensions < 0 || config.maxExtensions > MAX_EXTENSIONS_LIMIT)
  ) {
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'maxExtensions', `must be an integer in 0..${MAX_EXTENSIONS_LIMIT}`);
  }
  return config;
}

/**
 * The one transition function: (state, event, now) -> (state, effects). Pure: the tallier persists
 * `state` and executes `effects`; replaying the same events reproduces both exactly.
 *
 * Illegal transitions throw ConsensusError; events that are legal but change nothing (a replayed
 * submission, a second verdict from one verifier, anything after the decision) return the same
 * state object and no effects, because at-least-once delivery makes them normal.
 */
export function transition(
  state: SubmissionState | undefined,
  event: SubmissionEvent,
  now: EpochMs,
  config: ConsensusConfig,
): TransitionResult {
  validateConsensusConfig(config);
  validateEvent(event);
  if (!Number.isSafeInteger(now) || now < 0) throw invalid(ConsensusErrorCode.INVALID_EVENT, 'now', 'must be a non-negative integer (ms)');

  if (state === undefined) {
    if (event.kind !== 'submitted') {
      throw invalid(
        ConsensusErrorCode.UNKNOWN_SUBMISSION,
        'submissionId',
        `no submission ${event.submissionId} to apply '${event.kind}' to`,
      );
    }
    return { state: open(event, now, config), effects: [] };
  }
  if (event.submissionId !== state.submissionId) {
    throw invalid(
      ConsensusErrorCode.SUBMISSION_MISMATCH,
      'submissionId',
      `event for ${event.submissionId} applied to ${state.submissionId}`,
    );
  }
  const rule = config.tally ?? DEFAULT_TALLY_RULE;
  if (state.tally !== rule && state.phase !== 'decided') {
    // Two rules on one network would let a dispute be judged by whichever a replica runs.
    throw invalid(
      ConsensusErrorCode.INVALID_CONFIG,
      'tally',
      `submission ${state.submissionId} was opened under tally '${state.tally}', the config says '${rule}'`,
    );
  }
  if (now < state.lastEventAt) {
    throw invalid(ConsensusErrorCode.CLOCK_REGRESSION, 'now', `${now} is before the last event at ${state.lastEventAt}`);
  }

  switch (event.kind) {
    case 'submitted':
      if (!sameSubmission(state, event)) {
        throw invalid(ConsensusErrorCode.SUBMISSION_CONFLICT, 'submissionId', 'submitted again with different content');
      }
      return unchanged(state);
    case 'verdict':
      return onVerdict(state, event.verifier, event.verdict, now, config);
    case 'verdict-failed':
      return onVerdictFailed(state, event.verifier, event.failure, now);
    case 'window-closed':
      return onWindowClosed(state, event, now, config);
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

function open(event: Extract<SubmissionEvent, { kind: 'submitted' }>, now: EpochMs, config: ConsensusConfig): SubmissionState {
  // The submitter can win its own lottery; its verdict would be ignored, so it is not "selected".
  const selected = [...new Set(event.selectedVerifiers)].filter((v) => v !== event.submitter);
  return {
    submissionId: event.submissionId,
    taskId: event.taskId,
    submitter: event.submitter,
    tally: config.tally ?? DEFAULT_TALLY_RULE,
    fee: event.fee,
    selectedVerifiers: selected,
    phase: 'pending',
    openedAt: now,
    closesAt: now + config.windowMs,
    extensions: 0,
    widened: false,
    disputeOpen: false,
    verdicts: [],
    failedAudits: [],
    lastEventAt: now,
    decision: null,
  };
}

function onVerdict(state: SubmissionState, verifier: Address, kind: VerdictKind, now: EpochMs, config: ConsensusConfig): TransitionResult {
  if (state.phase === 'decided') return unchanged(state);
  if (verifier === state.submitter) return unchanged(state);
  if (state.verdicts.some((v) => v.verifier === verifier)) return unchanged(state);
  // A verifier caught fabricating on this submission has no vote on it any more.
  if (state.failedAudits.some((f) => f.verifier === verifier)) return unchanged(state);

  const recorded: RecordedVerdict = { verifier, kind, at: now };
  const base: SubmissionState = { ...state, verdicts: [...state.verdicts, recorded], lastEventAt: now };
  // Every voter in an open dispute is frozen, so a verifier that may lose cannot unstake first.
  const join = state.disputeOpen ? [joinDispute(state.submissionId, verifier)] : [];
  // A verdict after the close time is kept (it counts if the window gets extended) but cannot
  // move the phase: for the window being closed it does not exist.
  if (now >= state.closesAt) return { state: base, effects: join };

  if (kind === VerdictKind.REJECT && !state.disputeOpen) {
    // The dispute gets a full window of its own from the accusation: every active node must have
    // time to verify, or a REJECT in the last second would be tallied against almost nobody.
    const closesAt = Math.max(state.closesAt, now + config.windowMs);
    const disputed: SubmissionState = { ...base, phase: 'disputed', disputeOpen: true, closesAt };
    return {
      state: disputed,
      effects: [
        { kind: 'open-dispute', key: `${state.submissionId}/open-dispute`, disputeId: state.submissionId, accused: state.submitter },
        // Everyone who already voted (this REJECT included) becomes a party, as later voters will.
        ...base.verdicts.map((v) => joinDispute(state.submissionId, v.verifier)),
        { kind: 'announce-dispute', submissionId: state.submissionId, accused: state.submitter, closesAt },
      ],
    };
  }

  if (state.phase === 'pending' && kind === VerdictKind.ACCEPT && allSelectedAccepted(base)) {
    return { state: { ...base, phase: 'accepted-fast' }, effects: [{ kind: 'fast-accepted', submissionId: state.submissionId }] };
  }
  return { state: base, effects: join };
}

/**
 * DESIGN 2.4: a verdict that fails the PoW check is dropped and its verifier is treated as having
 * submitted a wrong result. The failure is proof by itself (only the signer can have produced a
 * PoW that misses the target or values that differ from the recomputation), so no tally is
 * needed: the verifier's stake is liquidated at once into an audit dispute of its own, which also
 * freezes it, and that pool is paid to R's side when the submission is decided (at once if it
 * already is). Any verdict it had recorded stops counting. Only the first failure per verifier
 * acts; later ones (redeliveries, other verdicts) change nothing.
 */
function onVerdictFailed(state: SubmissionState, verifier: Address, failure: AuditFailure, now: EpochMs): TransitionResult {
  if (state.failedAudits.some((f) => f.verifier === verifier)) return unchanged(state);
  const id = state.submissionId;
  const disputeId = auditDisputeId(id, verifier);
  const next: SubmissionState = {
    ...state,
    failedAudits: [...state.failedAudits, { verifier, failure, at: now, disputeId }],
    lastEventAt: now,
  };
  const effects: SubmissionEffect[] = [
    { kind: 'open-dispute', key: `${id}/audit/${verifier}/open-dispute`, disputeId, accused: verifier },
    { kind: 'liquidate', key: `${id}/audit/${verifier}/liquidate`, disputeId, address: verifier },
  ];
  if (state.decision !== null) effects.push(auditPayout(next, disputeId, verifier, state.decision));
  return { state: next, effects };
}

/** The audit pool of `verifier` -> the decided side, minus anyone caught (integer split, remainder to treasury, in the ledger). */
function auditPayout(state: SubmissionState, disputeId: string, verifier: Address, decision: Decision): SubmissionEffect {
  const caught = new Set(state.failedAudits.map((f) => f.verifier));
  return {
    kind: 'distribute-pool',
    key: `${state.submissionId}/audit/${verifier}/distribute-pool`,
    disputeId,
    winners: decision.winners.filter((w) => !caught.has(w)),
  };
}

function joinDispute(submissionId: string, address: Address): SubmissionEffect {
  return { kind: 'join-dispute', key: `${submissionId}/join/${address}`, disputeId: submissionId, address };
}

function allSelectedAccepted(state: SubmissionState): boolean {
  if (state.selectedVerifiers.length === 0) return false;
  const caught = new Set(state.failedAudits.map((f) => f.verifier));
  const accepted = new Set(state.verdicts.filter((v) => v.kind === VerdictKind.ACCEPT && !caught.has(v.verifier)).map((v) => v.verifier));
  return state.selectedVerifiers.every((v) => accepted.has(v));
}

function onWindowClosed(
  state: SubmissionState,
  event: Extract<SubmissionEvent, { kind: 'window-closed' }>,
  now: EpochMs,
  config: ConsensusConfig,
): TransitionResult {
  if (state.phase === 'decided') return unchanged(state);
  if (now < state.closesAt) {
    throw new ConsensusError(ConsensusErrorCode.WINDOW_OPEN, `window closes at ${state.closesAt}, now is ${now}`, 'now');
  }
  const caught = new Set(state.failedAudits.map((f) => f.verifier));
  const votes = state.verdicts.filter((v) => v.at < state.closesAt && !caught.has(v.verifier));
  const maxExtensions = config.maxExtensions ?? DEFAULT_MAX_EXTENSIONS;
  // Liveness: once the extensions are spent the larger side decides, so no dispute stays open.
  const final = state.extensions >= maxExtensions;
  const activeNodes = event.activeNodes;
  let result: TallyResult;
  if (state.tally === 'stake') {
    if (event.stakes === undefined) throw invalid(ConsensusErrorCode.INVALID_EVENT, 'stakes', 'required under tally: stake');
    if (event.activeStake === undefined) throw invalid(ConsensusErrorCode.INVALID_EVENT, 'activeStake', 'required under tally: stake');
    result = tallyByStake({ submitter: state.submitter, votes, stakes: event.stakes, activeStake: event.activeStake, final });
  } else {
    result = tally({ submitter: state.submitter, votes, activeNodes, final });
  }

  // Nobody answered (a withholding committee, or verdicts that all came late): accepting now would
  // finalise a result nobody checked, and a committee of attackers only has to stay silent for it.
  // So the first such close widens the committee to every active key for one more window; after
  // that, silence is the whole network's and m = 0 accepts as the spec says.
  const silent = votes.length === 0 && !state.widened && !final;
  if (result.kind === 'undecided' || silent) {
    const closesAt = now + config.windowMs;
    const extensions = state.extensions + 1;
    return {
      state: { ...state, phase: 'undecided-extended', closesAt, extensions, widened: true, lastEventAt: now },
      effects: [
        {
          kind: 'window-extended',
          submissionId: state.submissionId,
          closesAt,
          final: extensions >= maxExtensions,
          reason: result.kind === 'undecided' ? 'undecided' : 'silent',
        },
      ],
    };
  }

  const decision: Decision = { ...result, activeNodes, decidedAt: now, final };
  return {
    state: { ...state, phase: 'decided', decision, lastEventAt: now },
    effects: [...settlement(state, decision, config), { kind: 'decided', submissionId: state.submissionId, outcome: decision.outcome }],
  };
}

/**
 * Money at decision time. Losers are liquidated only when a dispute (hence a pool) exists; a
 * decision without a dispute has m = 0 and therefore no losers (see tally.rule.ts).
 * The fee goes to the submitter and the verifiers on R's side; losers get none. On a rejected
 * result the submitter's share is 0: the fee pays the verifiers who did the work (the ledger has
 * no client refund command yet).
 */
function settlement(state: SubmissionState, decision: Decision, config: ConsensusConfig): SubmissionEffect[] {
  const id = state.submissionId;
  const effects: SubmissionEffect[] = [];
  if (state.disputeOpen) {
    for (const loser of decision.losers) {
      effects.push({ kind: 'liquidate', key: `${id}/liquidate/${loser}`, disputeId: id, address: loser });
    }
    effects.push({ kind: 'distribute-pool', key: `${id}/distribute-pool`, disputeId: id, winners: decision.winners });
  }
  for (const caught of state.failedAudits) effects.push(auditPayout(state, caught.disputeId, caught.verifier, decision));
  if (state.fee > 0n) {
    effects.push({
      kind: 'payout-fee',
      key: `${id}/payout-fee`,
      taskId: state.taskId,
      submitter: state.submitter,
      verifiers: decision.winners.filter((w) => w !== state.submitter),
      submitterShareBps: decision.outcome === 'accepted' ? config.submitterShareBps : 0,
    });
  }
  return effects;
}

function unchanged(state: SubmissionState): TransitionResult {
  return { state, effects: [] };
}

function sameSubmission(state: SubmissionState, e: Extract<SubmissionEvent, { kind: 'submitted' }>): boolean {
  const selected = [...new Set(e.selectedVerifiers)].filter((v) => v !== e.submitter);
  return (
    state.taskId === e.taskId &&
    state.submitter === e.submitter &&
    state.fee === e.fee &&
    selected.length === state.selectedVerifiers.length &&
    selected.every((v, i) => state.selectedVerifiers[i] === v)
  );
}

function validateEvent(e: SubmissionEvent): void {
  const bad = (field: string, message: string): ConsensusError => invalid(ConsensusErrorCode.INVALID_EVENT, field, message);
  if (typeof e.submissionId !== 'string' || e.submissionId.length === 0) throw bad('submissionId', 'must be a non-empty string');
  switch (e.kind) {
    case 'submitted':
      if (typeof e.taskId !== 'string' || e.taskId.length === 0) throw bad('taskId', 'must be a non-empty string');
      if (!isAddress(e.submitter)) throw bad('submitter', 'must be a lowercase 0x address');
      if (typeof e.fee !== 'bigint' || e.fee < 0n) throw bad('fee', 'must be a non-negative bigint');
      if (!Array.isArray(e.selectedVerifiers)) throw bad('selectedVerifiers', 'must be an array');
      e.selectedVerifiers.forEach((v, i) => {
        if (!isAddress(v)) throw bad(`selectedVerifiers[${i}]`, 'must be a lowercase 0x address');
      });
      return;
    case 'verdict':
      if (!isAddress(e.verifier)) throw bad('verifier', 'must be a lowercase 0x address');
      if (e.verdict !== VerdictKind.ACCEPT && e.verdict !== VerdictKind.REJECT) throw bad('verdict', 'must be ACCEPT or REJECT');
      return;
    case 'verdict-failed':
      if (!isAddress(e.verifier)) throw bad('verifier', 'must be a lowercase 0x address');
      if (!AUDIT_FAILURES.includes(e.failure)) throw bad('failure', 'must be pow-failed or audit-failed');
      return;
    case 'window-closed':
      if (!Number.isSafeInteger(e.activeNodes) || e.activeNodes < 0) throw bad('activeNodes', 'must be a non-negative integer');
      if (e.activeStake !== undefined && (typeof e.activeStake !== 'bigint' || e.activeStake < 0n))
        throw bad('activeStake', 'must be a non-negative bigint');
      if (e.stakes !== undefined) {
        if (!(e.stakes instanceof Map)) throw bad('stakes', 'must be a Map of address to stake');
        for (const [address, stake] of e.stakes) {
          if (!isAddress(address)) throw bad('stakes', `key ${String(address)} must be a lowercase 0x address`);
          if (typeof stake !== 'bigint' || stake < 0n) throw bad(`stakes[${address}]`, 'must be a non-negative bigint');
        }
      }
      return;
    default: {
      const unreachable: never = e;
      throw bad('kind', `unknown event kind ${String((unreachable as { kind: unknown }).kind)}`);
    }
  }
}
