import type { Address } from '@aegis/protocol';
import type { EntryView } from './stake.client';

/** What a node's ledger entries say it earned and lost, in base units. */
export interface NodeEarnings {
  /** payout-fee entries that credited the node (tasks it served or verified and was paid for). */
  readonly feePayouts: number;
  readonly feesEarned: bigint;
  /** distribute-pool entries that credited it (a liquidated node's stake shared among the verifiers who caught it). */
  readonly poolRewards: number;
  readonly poolEarned: bigint;
  /** liquidate entries that took its stake and unbonding. */
  readonly liquidations: number;
  readonly slashed: bigint;
}

/** Folds a node's entries (as ListEntries returns them) into its earnings and slashes. */
export function summarizeNodeEntries(address: Address, entries: readonly EntryView[]): NodeEarnings {
  let feePayouts = 0;
  let feesEarned = 0n;
  let poolRewards = 0;
  let poolEarned = 0n;
  let liquidations = 0;
  let slashed = 0n;
  const own = (account: string): boolean => account.endsWith(`:${address}`);
  for (const e of entries) {
    const credited = e.postings.filter((p) => own(p.account) && p.delta > 0n).reduce((s, p) => s + p.delta, 0n);
    const debited = e.postings.filter((p) => own(p.account) && p.delta < 0n).reduce((s, p) => s - p.delta, 0n);
    if (e.kind === 'payout-fee' && credited > 0n) {
      feePayouts++;
      feesEarned += credited;
    } else if (e.kind === 'distribute-pool' && credited > 0n) {
      poolRewards++;
      poolEarned += credited;
    } else if (e.kind === 'liquidate' && debited > 0n) {
      liquidations++;
      slashed += debited;
    }
  }
  return { feePayouts, feesEarned, poolRewards, poolEarned, liquidations, slashed };
}
