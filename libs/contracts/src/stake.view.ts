import type { Address } from '@aegis/protocol';
import { LedgerOutcome, type LedgerEvent } from './gen/aegis/events/v1/ledger_events_pb';

const STAKE_ACCOUNT = /^stake:(0x[0-9a-f]{40})$/;

/** Whether an entry's postings touch a `stake:<address>` account: what aegis.stake-events.v1 carries. */
export function movesStake(postings: readonly { readonly account: string }[]): boolean {
  return postings.some((p) => STAKE_ACCOUNT.test(p.account));
}

export interface StakeSnapshotEntry {
  readonly address: Address;
  readonly stake: bigint;
}

/**
 * A read model of every node's stake, folded from aegis.stake-events.v1 (the postings on
 * `stake:<address>` accounts of each applied entry). Verifiers, the PoW checker and the tallier
 * all need "stake of V and the total active stake" for the lottery; folding the ledger's own
 * events gives each of them the same numbers without a request per decision.
 *
 * Idempotent under redelivery: an entry (announced APPLIED, or REPLAYED by a redelivered command)
 * is applied once per ledger sequence number. Entries may
 * arrive in any order across partitions; the fold is a sum, so the order does not matter. Only
 * entries that move a stake are remembered for that: most entries (a task's fee escrow and
 * settlement) touch no stake account, and remembering them would grow the view with every task.
 */
export class StakeView {
  private readonly stakes = new Map<Address, bigint>();
  private readonly seen = new Set<bigint>();

  constructor(private readonly minStake: bigint) {
    if (minStake < 0n) throw new RangeError('minStake: must be >= 0');
  }

  /** Applies one ledger event; returns whether it changed any stake. */
  apply(event: LedgerEvent): boolean {
    const entry = event.entry;
    // REPLAYED carries the entry as first applied (same sequence, same postings): when the ledger
    // crashed between COMMIT and announcing APPLIED, the redelivered command's REPLAYED is the only
    // announcement the view will ever get. The sequence check below makes both kinds count once.
    const announced = event.outcome === LedgerOutcome.APPLIED || event.outcome === LedgerOutcome.REPLAYED;
    if (!announced || entry === undefined) return false;
    const moves: Array<[Address, bigint]> = [];
    for (const p of entry.postings) {
      const m = STAKE_ACCOUNT.exec(p.account);
      if (m === null || !/^-?[0-9]{1,78}$/.test(p.delta)) continue;
      moves.push([m[1] as Address, BigInt(p.delta)]);
    }
    if (moves.length === 0 || this.seen.has(entry.sequence)) return false;
    this.seen.add(entry.sequence);
    for (const [address, delta] of moves) this.stakes.set(address, (this.stakes.get(address) ?? 0n) + delta);
    return true;
  }

  /** Entries remembered for deduplication: those that moved a stake. */
  get rememberedEntries(): number {
    return this.seen.size;
  }

  /** Sets a node's stake outright (seeding from a GetAccount answer or a devnet ledger). */
  set(address: Address, stake: bigint): void {
    this.stakes.set(address, stake);
  }

  stakeOf(address: Address): bigint {
    return this.stakes.get(address) ?? 0n;
  }

  isActive(address: Address): boolean {
    const s = this.stakeOf(address);
    return s > 0n && s >= this.minStake;
  }

  /** The active set, sorted by address so every holder of the same view lists it identically. */
  activeNodes(): StakeSnapshotEntry[] {
    return [...this.stakes.entries()]
      .filter(([a]) => this.isActive(a))
      .map(([address, stake]) => ({ address, stake }))
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  }

  totalActiveStake(): bigint {
    return this.activeNodes().reduce((sum, n) => sum + n.stake, 0n);
  }
}
