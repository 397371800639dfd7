import {
  accountId,
  buildLedgerDataSource,
  PgLedger,
  type ApplyOutcome,
  type InvariantReport,
  type LedgerCommand,
  type LedgerRules,
} from '@aegis/ledger';
import { preparedQuery } from '@aegis/db';
import type { DataSource } from 'typeorm';
import type { AccountView, Applied, BatchApplied, EntryPage, EntryView, LedgerRepository } from './ledger.repository';

interface Row {
  [column: string]: unknown;
}

/**
 * The ledger service's store: PgLedger (@aegis/ledger) applies commands; the read models the API
 * needs (unbonding tranches, frozen, entry pages) are queries on the same schema. An entry's
 * sequence is the id of its first row in `entries`: increasing in commit order per account and
 * unique per command, which is what the stake views folding LedgerEvents dedupe on.
 */
export class PgLedgerRepository implements LedgerRepository {
  private constructor(
    private readonly ledger: PgLedger,
    private readonly reads: DataSource,
    private readonly schema: string,
  ) {}

  static async connect(options: { url: string; rules: LedgerRules; schema?: string; poolSize?: number }): Promise<PgLedgerRepository> {
    const schema = options.schema ?? 'ledger';
    const ledger = await PgLedger.connect({
      url: options.url,
      rules: options.rules,
      schema,
      poolSize: options.poolSize ?? 10,
      applicationName: 'aegis-ledger',
    });
    const reads = buildLedgerDataSource({ url: options.url, schema, poolSize: 4, applicationName: 'aegis-ledger-reads' });
    try {
      await reads.initialize();
    } catch (err) {
      await ledger.close();
      throw err;
    }
    return new PgLedgerRepository(ledger, reads, `"${schema}"`);
  }

  get store(): PgLedger {
    return this.ledger;
  }

  async apply(command: LedgerCommand, now: Date): Promise<Applied> {
    return this.withEntry(command, await this.ledger.apply(command, now), now);
  }

  async applyBatch(commands: readonly LedgerCommand[], now: Date): Promise<BatchApplied[]> {
    const outcomes = await this.ledger.applyBatch(commands, now);
    return Promise.all(
      outcomes.map(async (o, i): Promise<BatchApplied> =>
        o.ok ? { ok: true, applied: await this.withEntry(commands[i] as LedgerCommand, o.outcome, now) } : o,
      ),
    );
  }

  /** The entry an outcome announces: at hand for a fresh application, read back for a replay. */
  private async withEntry(command: LedgerCommand, outcome: ApplyOutcome, now: Date): Promise<Applied> {
    if (outcome.sequence !== undefined) {
      // Applied just now: the ledger returned the first entry's id, and applied_at is `now`.
      return {
        ...outcome,
        entry: { sequence: outcome.sequence, idempotencyKey: command.key, kind: command.kind, postings: outcome.entries, appliedAt: now },
      };
    }
    // A replay (or a command without postings): what the first application stored. OFFSET 0
    // keeps the planner on the command_key index: min(id) alone tempts it into walking the
    // primary key from the start, filtering, which reads most of the table for a recent key.
    const [row] = (await this.reads.query(
      `SELECT c.kind, c.applied_at,
              (SELECT min(k.id) FROM (SELECT e.id FROM ${this.schema}.entries e WHERE e.command_key = c.key OFFSET 0) AS k) AS sequence
       FROM ${this.schema}.commands c WHERE c.key = $1`,
      [command.key],
    )) as Row[];
    return {
      ...outcome,
      entry: {
        sequence: row?.sequence == null ? 0n : BigInt(String(row.sequence)),
        idempotencyKey: command.key,
        kind: command.kind,
        postings: outcome.entries,
        appliedAt: row?.applied_at instanceof Date ? row.applied_at : now,
      },
    };
  }

  /**
   * One prepared statement (every mutation answers with the account, EscrowFee once per task):
   * balances, the frozen flag and the unbonding tranches in release order, as arrays.
   */
  async account(address: string): Promise<AccountView> {
    const s = this.schema;
    const { rows } = await preparedQuery<Row>(
      this.reads,
      // One read of the tranches for both arrays (an aggregate without GROUP BY is one row; its
      // arrays are NULL when there are none).
      `SELECT (SELECT balance FROM ${s}.accounts WHERE id = $1) AS free, (SELECT balance FROM ${s}.accounts WHERE id = $2) AS staked,
              EXISTS (SELECT 1 FROM ${s}.dispute_parties p JOIN ${s}.disputes d ON d.id = p.dispute_id WHERE p.address = $3 AND d.open) AS frozen,
              t.amounts AS tranche_amounts, t.releases AS tranche_releases
         FROM (SELECT array_agg(u.amount::text ORDER BY u.release_at, u.id) AS amounts, array_agg(u.release_at ORDER BY u.release_at, u.id) AS releases
                 FROM ${s}.unbonding u WHERE u.address = $3) AS t`,
      [accountId.free(address), accountId.stake(address), address],
    );
    const row = rows[0];
    const amounts = (row?.tranche_amounts ?? []) as string[];
    const releases = (row?.tranche_releases ?? []) as Date[];
    const staked = BigInt(String(row?.staked ?? '0'));
    return {
      address,
      free: BigInt(String(row?.free ?? '0')),
      staked,
      unbonding: amounts.map((amount, i) => ({ amount: BigInt(amount), releaseAt: releases[i] as Date })),
      active: staked > 0n && staked >= this.ledger.rules.minStake,
      frozen: row?.frozen === true,
    };
  }

  async entriesOf(address: string, pageSize: number, after: bigint): Promise<EntryPage> {
    const s = this.schema;
    const mine = [accountId.free(address), accountId.stake(address), accountId.unbonding(address)];
    const commands = (await this.reads.query(
      `SELECT e.command_key, min(e.id) AS sequence FROM ${s}.entries e
       WHERE e.command_key IN (SELECT command_key FROM ${s}.entries WHERE account = ANY($1))
       GROUP BY e.command_key HAVING min(e.id) > $2 ORDER BY min(e.id) LIMIT $3`,
      [mine, after.toString(), pageSize + 1],
    )) as Row[];
    const page = commands.slice(0, pageSize);
    const keys = page.map((c) => String(c.command_key));
    const rows = keys.length
      ? ((await this.reads.query(
          `SELECT e.command_key, e.account, e.amount, c.kind, c.applied_at FROM ${s}.entries e JOIN ${s}.commands c ON c.key = e.command_key
           WHERE e.command_key = ANY($1) ORDER BY e.id`,
          [keys],
        )) as Row[])
      : [];
    const entries: EntryView[] = page.map((c) => {
      const own = rows.filter((r) => r.command_key === c.command_key);
      return {
        sequence: BigInt(String(c.sequence)),
        idempotencyKey: String(c.command_key),
        kind: String(own[0]?.kind ?? '') as LedgerCommand['kind'],
        postings: own.map((r) => ({ account: String(r.account), amount: BigInt(String(r.amount)) })),
        appliedAt: (own[0]?.applied_at as Date | undefined) ?? new Date(0),
      };
    });
    const last = entries.at(-1);
    return { entries, nextAfter: commands.length > pageSize && last ? last.sequence : undefined };
  }

  markAnnounced(keys: readonly string[]): Promise<void> {
    return this.ledger.markAnnounced(keys);
  }

  async unannounced(before: Date, limit: number): Promise<EntryView[]> {
    const commands = await this.ledger.unannounced(before, limit);
    return commands.map((c) => ({
      sequence: c.sequence,
      idempotencyKey: c.key,
      kind: c.kind as LedgerCommand['kind'],
      postings: c.postings,
      appliedAt: c.appliedAt,
    }));
  }

  checkInvariant(): Promise<InvariantReport> {
    return this.ledger.checkInvariant();
  }

  async close(): Promise<void> {
    await this.ledger.close();
    if (this.reads.isInitialized) await this.reads.destroy();
  }
}
