import type { Address, VerdictKind } from '@aegis/protocol';
import type { TallyRule } from '../tally/stake.tally';
import type { TallyOutcome } from '../tally/tally.rule';

/**
 * pending -> accepted-fast (every selected verifier accepted; a REJECT inside the window still
 * reopens it) -> disputed (any REJECT inside the window) -> decided | undecided-extended.
 * `decided` is terminal.
 */
export type SubmissionPhase = 'pending' | 'accepted-fast' | 'disputed' | 'undecided-extended' | 'decided';

/** Times are milliseconds since the Unix epoch, always passed in: the core never reads a clock. */
export type EpochMs = number;

export interface RecordedVerdict {
  readonly verifier: Address;
  readonly kind: VerdictKind;
  /** When the tallier received it; the tally counts it iff `at < closesAt` of the window being closed. */
  readonly at: EpochMs;
}

/**
 * Why the PoW checker dropped a verdict in a way only its signer can have caused (DESIGN 2.4):
 * the PoW hash is not below the target, or the audited values differ from the recomputation.
 * NOT_ELIGIBLE is deliberately absent: it depends on the checker's stake snapshot, which can lag
 * the ledger, so an honest verifier could fail it through no fault of its own.
 */
export type AuditFailure = 'pow-failed' | 'audit-failed';

/** A verifier caught by the PoW checker on this submission: liquidated, its verdicts never counted. */
export interface FailedAudit {
  readonly verifier: Address;
  readonly failure: AuditFailure;
  readonly at: EpochMs;
  /** The dispute its stake was liquidated into (see auditDisputeId); paid to R's side at the decision. */
  readonly disputeId: string;
}

export interface Decision {
  readonly outcome: TallyOutcome;
  readonly winners: readonly Address[];
  readonly losers: readonly Address[];
  readonly n: number;
  readonly m: number;
  readonly activeNodes: number;
  readonly decidedAt: EpochMs;
  /** Decided by the larger side once the extensions were spent (liveness), not by the threshold. */
  readonly final: boolean;
}

export interface SubmissionState {
  readonly submissionId: string;
  readonly taskId: string;
  readonly submitter: Address;
  /** The rule it was opened under (config.tally then); every later tally of it uses this one. */
  readonly tally: TallyRule;
  /** Task fee held in escrow for this submission (base units; 0 = nothing to pay out). */
  readonly fee: bigint;
  /** Verifiers the lottery selected on this submission's beacon, submitter excluded. */
  readonly selectedVerifiers: readonly Address[];
  readonly phase: SubmissionPhase;
  readonly openedAt: EpochMs;
  /** The window is [openedAt, closesAt); extended by a dispute and by an undecided tally. */
  readonly closesAt: EpochMs;
  readonly extensions: number;
  /**
   * The committee is every active key, not the lottery's draw: set at the first extension (an
   * undecided tally, or a close at which no verifier answered). The control plane announces the
   * submission to every active key and the PoW checker accepts verdicts from all of them.
   */
  readonly widened: boolean;
  /** A dispute (and its reward pool) exists for this submission: liquidation goes there. */
  readonly disputeOpen: boolean;
  /** One verdict per verifier, first one wins, submitter's own verdicts dropped; arrival order. */
  readonly verdicts: readonly RecordedVerdict[];
  /** Verifiers whose verdict failed the PoW check, first failure per verifier, arrival order. */
  readonly failedAudits: readonly FailedAudit[];
  readonly lastEventAt: EpochMs;
  /** Set exactly when phase === 'decided'. */
  readonly decision: Decision | null;
}

export type SubmissionEvent =
  | {
      readonly kind: 'submitted';
      readonly submissionId: string;
      readonly taskId: string;
      readonly submitter: Address;
      readonly fee: bigint;
      readonly selectedVerifiers: readonly Address[];
    }
  | {
      readonly kind: 'verdict';
      readonly submissionId: string;
      readonly verifier: Address;
      readonly verdict: VerdictKind;
    }
  | {
      /** The PoW checker dropped a verdict of `verifier` (DESIGN 2.4): it is treated as having submitted a wrong result. */
      readonly kind: 'verdict-failed';
      readonly submissionId: string;
      readonly verifier: Address;
      readonly failure: AuditFailure;
    }
  | {
      readonly kind: 'window-closed';
      readonly submissionId: string;
      /** Active nodes counted by the ledger at window close (the 0.66 * active term of `tally: spec`). */
      readonly activeNodes: number;
      /** Total active stake at window close (the 0.66 term of `tally: stake`); required under it. */
      readonly activeStake?: bigint;
      /**
       * Stake at window close of the submitter and of every voter (absent = 0: nothing at stake any
       * more); required under `tally: stake`.
       */
      readonly stakes?: ReadonlyMap<Address, bigint>;
    };

/**
 * Commands for the ledger, shaped like @aegis/ledger's LedgerCommand so the tallier maps them one
 * to one. Keys are derived from the submission id only, so re-running the machine over the same
 * events yields the same keys and the ledger applies each effect exactly once.
 */
export type LedgerEffect =
  | { readonly kind: 'open-dispute'; readonly key: string; readonly disputeId: string; readonly accused: Address }
  /** Freezes a verifier who voted in the dispute (no unstake/withdraw) until the pool is distributed. */
  | { readonly kind: 'join-dispute'; readonly key: string; readonly disputeId: string; readonly address: Address }
  | { readonly kind: 'liquidate'; readonly key: string; readonly disputeId: string; readonly address: Address }
  | {
      readonly kind: 'distribute-pool';
      readonly key: string;
      readonly disputeId: string;
      readonly winners: readonly Address[];
    }
  | {
      readonly kind: 'payout-fee';
      readonly key: string;
      readonly taskId: string;
      readonly submitter: Address;
      readonly verifiers: readonly Address[];
      readonly submitterShareBps: number;
    };

/** Effects for the rest of the system (bus events), not money. */
export type NoticeEffect =
  | { readonly kind: 'announce-dispute'; readonly submissionId: string; readonly accused: Address; readonly closesAt: EpochMs }
  | { readonly kind: 'fast-accepted'; readonly submissionId: string }
  /**
   * The window runs again and every active key is asked to verify (the committee widens to the
   * whole network): the tally was undecided, or nobody answered (`reason: 'silent'`: a committee
   * that stays silent must not let a result through unchecked). `final`: the next close decides
   * by the larger side.
   */
  | {
      readonly kind: 'window-extended';
      readonly submissionId: string;
      readonly closesAt: EpochMs;
      readonly final: boolean;
      readonly reason: 'undecided' | 'silent';
    }
  | { readonly kind: 'decided'; readonly submissionId: string; readonly outcome: TallyOutcome };

export type SubmissionEffect = LedgerEffect | NoticeEffect;

export interface TransitionResult {
  readonly state: SubmissionState;
  readonly effects: readonly SubmissionEffect[];
}

export interface ConsensusConfig {
  /** Tally window length (24 h in production; tests use seconds). */
  readonly windowMs: number;
  /** Share of the fee the submitter gets on an accepted result, in basis points (0..10000). */
  readonly submitterShareBps: number;
  /** The tally rule for new submissions (default `stake`); a submission keeps the one it was opened under. */
  readonly tally?: TallyRule;
  /**
   * Undecided closes a submission may get extended for (default DEFAULT_MAX_EXTENSIONS); the close
   * after the last extension decides by the larger side, so every dispute ends within
   * (maxExtensions + 1) windows of the accusation.
   */
  readonly maxExtensions?: number;
}

export function isLedgerEffect(e: SubmissionEffect): e is LedgerEffect {
  switch (e.kind) {
    case 'open-dispute':
    case 'join-dispute':
    case 'liquidate':
    case 'distribute-pool':
    case 'payout-fee':
      return true;
    case 'announce-dispute':
    case 'fast-accepted':
    case 'window-extended':
    case 'decided':
      return false;
    default: {
      const unreachable: never = e;
      return unreachable;
    }
  }
}
