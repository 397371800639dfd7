import type { LedgerCommand } from './ledger.commands';
import type { LedgerError } from './ledger.errors';
import type { Posting } from './ledger.rules';

export interface ApplyOutcome {
  /** false: a replay of an already applied key with the same content (nothing changed). */
  applied: boolean;
  /** The command's postings (for a replay, those of the original application). */
  entries: Posting[];
  /**
   * Where a store numbers its entries: the number of this application's first entry (increasing
   * in commit order per account). Absent for replays, commands without postings, and stores that
   * do not number entries.
   */
  sequence?: bigint;
}

/** One command's result in a batch: applied (or replayed), or refused with its LedgerError. */
export type BatchItemOutcome = { readonly ok: true; readonly outcome: ApplyOutcome } | { readonly ok: false; readonly error: LedgerError };

export interface InvariantReport {
  /** sum === minted and no account is negative. */
  ok: boolean;
  sum: bigint;
  minted: bigint;
  /** Ids of accounts below zero. */
  negative: string[];
}

/** The ledger as its users see it; InMemoryLedger and PgLedger implement it with the same rules. */
export interface LedgerStore {
  /**
   * Validates and applies one command atomically. Throws LedgerError (and changes nothing) when
   * refused, including IDEMPOTENCY_CONFLICT for a known key with different content.
   */
  apply(cmd: LedgerCommand, now: Date): Promise<ApplyOutcome>;
  /**
   * Applies concurrent commands (ones with no order among them) together: each atomically and
   * exactly once, with the outcome it would have had applied alone in some serial order of the
   * batch. A refusal is that command's outcome only; the others still apply. One outcome per
   * command, in order. Throws only for what is not a refusal (the database down); then any subset
   * may have been applied, and applying the commands again is safe (replays).
   */
  applyBatch(cmds: readonly LedgerCommand[], now: Date): Promise<BatchItemOutcome[]>;
  /** 0 for an account that does not exist. */
  balance(account: string): Promise<bigint>;
  /** Every account that exists, including zero balances. */
  balances(): Promise<Map<string, bigint>>;
  totalMinted(): Promise<bigint>;
  /** stake >= minStake (and > 0). */
  isActive(address: string): Promise<boolean>;
  /** Addresses of active nodes, sorted. */
  activeNodes(): Promise<string[]>;
  checkInvariant(): Promise<InvariantReport>;
}
