import type { LedgerCommand } from './ledger.commands';
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
