import type { OutgoingRecord } from '@aegis/bus';
import type { BeaconHead, BeaconLink, SubmissionState, TallyRule } from '@aegis/consensus';
import type { CheckOutcome, TaskStatus } from '@aegis/contracts';
import type { VerdictKind } from '@aegis/protocol';

/** One submission as the tallier keeps it: consensus state plus what it needs to republish. */
export interface StoredSubmission {
  /** 0x hex of the result digest; also the dispute id. */
  readonly submissionId: string;
  /** 0x hex of the task hash; one submission per task. */
  readonly taskHash: string;
  readonly state: SubmissionState;
  /** The Result message as received (protobuf bytes). */
  readonly result: Uint8Array;
  readonly beacon: BeaconLink;
  /** Sequence of the last task-status change published for this task. */
  readonly statusSeq: number;
  readonly lastStatus: TaskStatus;
}

export interface StoredVerdict {
  readonly submissionId: string;
  readonly verifier: string;
  readonly kind: VerdictKind;
  readonly outcome: CheckOutcome;
  readonly audited: boolean;
  readonly receivedAt: number;
  /** The Verdict message as received (protobuf bytes). */
  readonly verdict: Uint8Array;
}

/** A correctly signed result the tallier would not count: kept for the record, its task re-offered. */
export interface RefusedResult {
  /** 0x hex of the result digest. */
  readonly resultDigest: string;
  readonly taskHash: string;
  readonly submitter: string;
  /** Why it was refused, e.g. 'inactive-submitter'. */
  readonly reason: string;
  /** The Result message as received (protobuf bytes). */
  readonly result: Uint8Array;
  readonly refusedAt: number;
}

/** One submission's state change and what it causes, written by TallierTx.applyChanges. */
export interface SubmissionChange {
  readonly next: StoredSubmission;
  /** Outgoing records (ledger commands, dispute events, status changes), in order. */
  readonly records: readonly OutgoingRecord[];
  /** A dispute on this submission opened at `at` (idempotent). */
  readonly disputeOpened?: { readonly accused: string; readonly at: number };
  /** The open dispute on this submission decided at `at`. */
  readonly disputeResolved?: { readonly outcome: string; readonly at: number };
}

export interface OutboxRow {
  readonly id: string;
  readonly record: OutgoingRecord;
}

export interface TaskIntake {
  readonly recorded: boolean;
  readonly refusals: number;
}

/** The tallier's reads and writes inside one transaction. */
export interface TallierTx {
  submissionByTask(taskHash: string): Promise<StoredSubmission | undefined>;
  /**
   * For results of these tasks, in one round trip and in the given order: whether each task has
   * its submission, and how many results for it were refused before.
   */
  taskIntakes(taskHashes: readonly string[]): Promise<readonly TaskIntake[]>;
  /** Locks the submission's row until the transaction ends. */
  lockSubmission(submissionId: string): Promise<StoredSubmission | undefined>;
  /** Undecided submissions whose window closed at or before `now`, locked; rows another replica holds are skipped. */
  lockDue(now: number, limit: number): Promise<StoredSubmission[]>;
  /**
   * Writes every change (submission rows, dispute rows, outgoing records in the given order).
   * The window ticker closes many submissions at once: one statement for all of them.
   */
  applyChanges(changes: readonly SubmissionChange[]): Promise<void>;
  /**
   * Serialises beacon appends across replicas until the transaction ends; undefined when the
   * chain has no link yet. Take it last: everything after it is held up for other tasks.
   */
  lockBeaconHead(): Promise<BeaconHead | undefined>;
  /**
   * Under the beacon-head lock: appends `links` (in order) and inserts the submission and its
   * outgoing records, in one round trip so the lock is held as briefly as possible.
   */
  recordSubmission(links: readonly BeaconLink[], s: StoredSubmission, records: readonly OutgoingRecord[]): Promise<void>;
  /** False when this verifier's verdict on this submission is already stored. */
  insertVerdict(v: StoredVerdict): Promise<boolean>;
  enqueue(records: readonly OutgoingRecord[]): Promise<void>;
  /** False when this result was already refused (a redelivery). */
  insertRefusal(r: RefusedResult): Promise<boolean>;
  /** How many results for this task were refused so far (they used task-status sequences). */
  refusalCount(taskHash: string): Promise<number>;
}

/** All tallier I/O on its database: swapped for an in-memory twin in unit tests. */
export interface TallierStore {
  /** Runs `fn` in one transaction: all its writes and enqueued records commit together or not at all. */
  transaction<T>(fn: (tx: TallierTx) => Promise<T>): Promise<T>;
  submission(submissionId: string): Promise<StoredSubmission | undefined>;
  /** Oldest unsent outbox rows first. */
  unsent(limit: number): Promise<OutboxRow[]>;
  markSent(ids: readonly string[]): Promise<void>;
  /** The tally rules of the submissions not yet decided (one, or none, on a network that never mixes them). */
  openTallyRules(): Promise<TallyRule[]>;
  /** Releases the store's own connections, if it has any (after the last transaction). */
  close?(): Promise<void>;
}
