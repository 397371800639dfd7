import type { ApplyOutcome, InvariantReport, LedgerCommand, LedgerError, Posting } from '@aegis/ledger';

/** A node's balances as StakeLedger.GetAccount reports them. */
export interface AccountView {
  readonly address: string;
  readonly free: bigint;
  readonly staked: bigint;
  readonly unbonding: readonly { readonly amount: bigint; readonly releaseAt: Date }[];
  readonly active: boolean;
  /** Party to an open dispute. */
  readonly frozen: boolean;
}

/** One applied command, as ListEntries and the LedgerEvents carry it. */
export interface EntryView {
  /** Increasing in application order; 0 when the store does not number entries. */
  readonly sequence: bigint;
  readonly idempotencyKey: string;
  readonly kind: LedgerCommand['kind'];
  readonly postings: readonly Posting[];
  readonly appliedAt: Date;
}

export interface EntryPage {
  readonly entries: readonly EntryView[];
  /** Sequence to continue after; undefined on the last page. */
  readonly nextAfter: bigint | undefined;
}

export type Applied = ApplyOutcome & { entry: EntryView };

/** One command's result in applyBatch: applied (or replayed) with its entry, or refused. */
export type BatchApplied = { readonly ok: true; readonly applied: Applied } | { readonly ok: false; readonly error: LedgerError };

/**
 * All ledger I/O of the service (immich-style: a test swaps the whole store in one line). The
 * rules live in @aegis/ledger; this adds the read models the gRPC API needs.
 */
export abstract class LedgerRepository {
  /** Applies one command atomically and exactly once; throws LedgerError when refused. */
  abstract apply(command: LedgerCommand, now: Date): Promise<Applied>;
  /** Concurrent commands together (LedgerStore.applyBatch): one outcome each, a refusal only its own. */
  abstract applyBatch(commands: readonly LedgerCommand[], now: Date): Promise<BatchApplied[]>;
  abstract account(address: string): Promise<AccountView>;
  /** Entries touching `address`'s accounts, oldest first, after sequence `after`. */
  abstract entriesOf(address: string, pageSize: number, after: bigint): Promise<EntryPage>;
  /** Marks commands whose LedgerEvent went out (best effort: an unmarked one is announced again). */
  abstract markAnnounced(keys: readonly string[]): Promise<void>;
  /** Applied commands not marked announced and applied before `before`, oldest first, at most `limit`. */
  abstract unannounced(before: Date, limit: number): Promise<EntryView[]>;
  abstract checkInvariant(): Promise<InvariantReport>;
  /** Releases connections; called after the transports stopped (module destroy). */
  abstract close(): Promise<void>;
}
