import { accountId, InMemoryLedger, LedgerError, type InvariantReport, type LedgerCommand, type LedgerRules } from '@aegis/ledger';
import type { AccountView, Applied, BatchApplied, EntryPage, EntryView, LedgerRepository } from './ledger.repository';

/**
 * The repository over the in-memory twin: unit tests, and a store for runs that need no
 * durability. Entries are numbered here, in application order.
 */
export class InMemoryLedgerRepository implements LedgerRepository {
  readonly store: InMemoryLedger;
  private readonly entries: EntryView[] = [];
  private readonly announced = new Set<string>();

  constructor(rules: LedgerRules) {
    this.store = new InMemoryLedger(rules);
  }

  /** One by one, in the given order. */
  async applyBatch(commands: readonly LedgerCommand[], now: Date): Promise<BatchApplied[]> {
    const out: BatchApplied[] = [];
    for (const command of commands) {
      try {
        out.push({ ok: true, applied: await this.apply(command, now) });
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error;
        out.push({ ok: false, error });
      }
    }
    return out;
  }

  async apply(command: LedgerCommand, now: Date): Promise<Applied> {
    const outcome = this.store.applySync(command, now);
    const existing = this.entries.find((e) => e.idempotencyKey === command.key);
    if (!outcome.applied && existing) return { ...outcome, entry: existing };
    const entry: EntryView = {
      sequence: BigInt(this.entries.length + 1),
      idempotencyKey: command.key,
      kind: command.kind,
      postings: outcome.entries,
      appliedAt: now,
    };
    this.entries.push(entry);
    return { ...outcome, entry };
  }

  async account(address: string): Promise<AccountView> {
    return {
      address,
      free: this.store.balanceSync(accountId.free(address)),
      staked: this.store.balanceSync(accountId.stake(address)),
      unbonding: this.store.unbondingOf(address).map((t) => ({ amount: t.amount, releaseAt: t.releaseAt })),
      active: this.store.isActiveSync(address),
      frozen: this.store.planView.openDisputesOf(address).length > 0,
    };
  }

  async entriesOf(address: string, pageSize: number, after: bigint): Promise<EntryPage> {
    const mine = new Set([accountId.free(address), accountId.stake(address), accountId.unbonding(address)]);
    const matching = this.entries.filter((e) => e.sequence > after && e.postings.some((p) => mine.has(p.account)));
    const page = matching.slice(0, pageSize);
    const last = page.at(-1);
    return { entries: page, nextAfter: matching.length > pageSize && last ? last.sequence : undefined };
  }

  async markAnnounced(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.announced.add(key);
  }

  async unannounced(before: Date, limit: number): Promise<EntryView[]> {
    return this.entries.filter((e) => !this.announced.has(e.idempotencyKey) && e.appliedAt < before).slice(0, limit);
  }

  checkInvariant(): Promise<InvariantReport> {
    return this.store.checkInvariant();
  }

  async close(): Promise<void> {}
}
