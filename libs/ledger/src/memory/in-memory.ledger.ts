import { accountId, parseAddress } from '../core/ledger.accounts';
import { commandContentHash, LedgerCommand, parseLedgerCommand } from '../core/ledger.commands';
import { LedgerError, LedgerErrorCode } from '../core/ledger.errors';
import {
  DisputeState,
  LedgerRules,
  LedgerTransition,
  LedgerView,
  planParsedTransition,
  Posting,
  UnbondingTranche,
} from '../core/ledger.rules';
import type { ApplyOutcome, BatchItemOutcome, InvariantReport, LedgerStore } from '../core/ledger.store';

const STAKE_PREFIX = 'stake:';

interface MutableDispute {
  accused: string;
  open: boolean;
  parties: Set<string>;
}

/**
 * The ledger in memory, applying exactly the same planTransition as PgLedger. For the simulator,
 * unit tests and the embedded devnet. Each apply is atomic: the plan is computed (and may throw)
 * before anything is mutated. The *Sync methods exist for hot loops that do not want a Promise.
 */
export class InMemoryLedger implements LedgerStore {
  private readonly accounts = new Map<string, bigint>();
  private readonly tranches = new Map<string, UnbondingTranche[]>();
  private readonly disputes = new Map<string, MutableDispute>();
  private readonly openByParty = new Map<string, Set<string>>();
  private readonly applied = new Map<string, { hash: string; entries: Posting[] }>();
  private minted = 0n;

  /** What planTransition reads: the live state (plans never mutate it). */
  private readonly view: LedgerView = {
    balance: (account) => this.accounts.get(account),
    unbonding: (address) => this.tranches.get(address) ?? [],
    dispute: (disputeId) => {
      const d = this.disputes.get(disputeId);
      return d && { accused: d.accused, open: d.open, parties: [...d.parties] };
    },
    openDisputesOf: (address) => [...(this.openByParty.get(address) ?? [])].sort(),
  };

  constructor(readonly rules: LedgerRules) {}

  applySync(input: LedgerCommand, now: Date): ApplyOutcome {
    const cmd = parseLedgerCommand(input);
    const hash = commandContentHash(cmd);
    const previous = this.applied.get(cmd.key);
    if (previous) {
      if (previous.hash !== hash) {
        throw new LedgerError(LedgerErrorCode.IDEMPOTENCY_CONFLICT, 'key', `key ${cmd.key} was used for a different command`);
      }
      return { applied: false, entries: previous.entries.map((p) => ({ ...p })) };
    }
    const transition = planParsedTransition(cmd, this.view, now, this.rules);
    this.commit(transition);
    this.applied.set(cmd.key, { hash, entries: transition.postings });
    return { applied: true, entries: transition.postings.map((p) => ({ ...p })) };
  }

  async apply(cmd: LedgerCommand, now: Date): Promise<ApplyOutcome> {
    return this.applySync(cmd, now);
  }

  /** One by one, in the given order (a serial order of the batch, as LedgerStore asks). */
  async applyBatch(cmds: readonly LedgerCommand[], now: Date): Promise<BatchItemOutcome[]> {
    return cmds.map((cmd): BatchItemOutcome => {
      try {
        return { ok: true, outcome: this.applySync(cmd, now) };
      } catch (error) {
        if (error instanceof LedgerError) return { ok: false, error };
        throw error;
      }
    });
  }

  balanceSync(account: string): bigint {
    return this.accounts.get(account) ?? 0n;
  }

  async balance(account: string): Promise<bigint> {
    return this.balanceSync(account);
  }

  async balances(): Promise<Map<string, bigint>> {
    return new Map(this.accounts);
  }

  async totalMinted(): Promise<bigint> {
    return this.minted;
  }

  isActiveSync(address: string): boolean {
    const stake = this.balanceSync(accountId.stake(parseAddress(address, 'address')));
    return stake > 0n && stake >= this.rules.minStake;
  }

  async isActive(address: string): Promise<boolean> {
    return this.isActiveSync(address);
  }

  activeNodesSync(): string[] {
    const out: string[] = [];
    for (const [id, balance] of this.accounts) {
      if (id.startsWith(STAKE_PREFIX) && balance > 0n && balance >= this.rules.minStake) out.push(id.slice(STAKE_PREFIX.length));
    }
    return out.sort();
  }

  async activeNodes(): Promise<string[]> {
    return this.activeNodesSync();
  }

  checkInvariantSync(): InvariantReport {
    let sum = 0n;
    const negative: string[] = [];
    for (const [id, balance] of this.accounts) {
      sum += balance;
      if (balance < 0n) negative.push(id);
    }
    return { ok: sum === this.minted && negative.length === 0, sum, minted: this.minted, negative: negative.sort() };
  }

  async checkInvariant(): Promise<InvariantReport> {
    return this.checkInvariantSync();
  }

  /** The read-only view planTransition sees (live: it reflects later applies). */
  get planView(): LedgerView {
    return this.view;
  }

  /** Unbonding tranches of `address`, oldest first. */
  unbondingOf(address: string): readonly UnbondingTranche[] {
    return this.view.unbonding(address);
  }

  disputeState(disputeId: string): DisputeState | undefined {
    return this.view.dispute(disputeId);
  }

  private commit(t: LedgerTransition): void {
    for (const p of t.postings) this.accounts.set(p.account, (this.accounts.get(p.account) ?? 0n) + p.amount);
    this.minted += t.minted;
    if (t.unbondingReleased) {
      const released = new Set(t.unbondingReleased.ids);
      const left = this.view.unbonding(t.unbondingReleased.address).filter((x) => !released.has(x.id));
      if (left.length > 0) this.tranches.set(t.unbondingReleased.address, left);
      else this.tranches.delete(t.unbondingReleased.address);
    }
    if (t.unbondingAdded) {
      const { address, ...tranche } = t.unbondingAdded;
      this.tranches.set(address, [...this.view.unbonding(address), tranche]);
    }
    if (t.dispute) this.applyDispute(t.dispute);
  }

  private applyDispute(change: NonNullable<LedgerTransition['dispute']>): void {
    switch (change.kind) {
      case 'open':
        this.disputes.set(change.disputeId, { accused: change.accused, open: true, parties: new Set([change.accused]) });
        this.index(change.accused).add(change.disputeId);
        return;
      case 'join':
        this.disputes.get(change.disputeId)?.parties.add(change.address);
        this.index(change.address).add(change.disputeId);
        return;
      case 'close': {
        const d = this.disputes.get(change.disputeId);
        if (!d) return;
        d.open = false;
        for (const party of d.parties) {
          const set = this.openByParty.get(party);
          set?.delete(change.disputeId);
          if (set?.size === 0) this.openByParty.delete(party);
        }
        return;
      }
    }
  }

  private index(address: string): Set<string> {
    let set = this.openByParty.get(address);
    if (!set) this.openByParty.set(address, (set = new Set()));
    return set;
  }
}
