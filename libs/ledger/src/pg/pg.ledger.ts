import {
  buildDataSource,
  parseSchemaName,
  pipelinedPool,
  preparedQuery,
  type Row,
  runBatch,
  runMigrations,
  type Statement,
} from '@aegis/db';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { accountId, parseAddress, TREASURY } from '../core/ledger.accounts';
import { LedgerCommand, parseLedgerCommand } from '../core/ledger.commands';
import { LedgerError, LedgerErrorCode } from '../core/ledger.errors';
import {
  DisputeState,
  LedgerRules,
  LedgerTransition,
  LedgerView,
  PlanReads,
  planParsedTransition,
  planReadsOf,
  Posting,
  UnbondingTranche,
} from '../core/ledger.rules';
import type { ApplyOutcome, BatchItemOutcome, InvariantReport, LedgerStore } from '../core/ledger.store';
import { LEDGER_ENTITIES, LedgerAccountEntity } from './ledger.entities';
import { LEDGER_MIGRATIONS } from './migrations';
import { storedContentHash } from './pg.content-hash';

export const LEDGER_SCHEMA = 'ledger';

// SQLSTATEs after which the whole transaction can simply be run again.
const RETRYABLE = new Set(['40001' /* serialization_failure */, '40P01' /* deadlock_detected */]);

/**
 * The treasury and the minted total are credit-only and touched by most commands (every payout
 * remainder); one row each would serialise those commands on its lock for the whole COMMIT. They
 * are stored as SHARDS rows picked by the idempotency key and summed on read.
 */
const SHARDS = 16;
const TREASURY_SHARD_PREFIX = `${TREASURY}#`;

function shardOf(key: string): number {
  // FNV-1a: cheap, stable across processes, spreads similar keys.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARDS;
}

/** Storage id -> ledger account id (treasury shards read as the one treasury). */
function logicalAccount(id: string): string {
  return id.startsWith(TREASURY_SHARD_PREFIX) ? TREASURY : id;
}

export interface LedgerDataSourceOptions {
  url: string;
  /** `ledger` unless a test wants a scratch schema. */
  schema?: string;
  poolSize?: number;
  applicationName?: string;
}

export function buildLedgerDataSource(options: LedgerDataSourceOptions): DataSource {
  return buildDataSource({
    url: options.url,
    schema: options.schema ?? LEDGER_SCHEMA,
    entities: LEDGER_ENTITIES,
    migrations: LEDGER_MIGRATIONS,
    ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
    ...(options.applicationName !== undefined ? { applicationName: options.applicationName } : {}),
  });
}

/** Runs the ledger's pending migrations; returns the names applied now. */
export async function migrateLedger(options: LedgerDataSourceOptions): Promise<string[]> {
  return runMigrations(buildLedgerDataSource({ ...options, poolSize: 1 }));
}

/** An applied command whose LedgerEvent may not have gone out (see PgLedger.unannounced). */
export interface UnannouncedCommand {
  readonly key: string;
  readonly kind: string;
  readonly appliedAt: Date;
  /** Its first entry's id (0 without postings), the sequence its announcement carries. */
  readonly sequence: bigint;
  readonly postings: Posting[];
}

export interface PgLedgerOptions extends LedgerDataSourceOptions {
  rules: LedgerRules;
  /** Attempts per command on serialization failures and deadlocks (8). */
  maxAttempts?: number;
  /**
   * Fault injection for tests: runs inside the transaction after every write, before COMMIT.
   * Whatever it throws (or a connection it kills) must leave no trace of the command.
   */
  beforeCommit?: (cmd: LedgerCommand) => Promise<void>;
}

const BEGIN: Statement = { sql: 'BEGIN ISOLATION LEVEL READ COMMITTED' };
const COMMIT: Statement = { sql: 'COMMIT' };
const ROLLBACK: Statement = { sql: 'ROLLBACK' };

/** A command of applyBatch's shared transaction. */
interface BatchItem {
  /** Its place in the batch. */
  readonly index: number;
  readonly cmd: LedgerCommand;
  readonly hash: string;
  readonly reads: PlanReads;
}

/** Where the rows of each read of the first round trip are in its results. */
interface ReadSlots {
  dispute?: number;
  parties?: number;
  unbonding?: number;
  openDisputes?: number;
}

/**
 * The stake ledger in Postgres. One command = one READ COMMITTED transaction:
 *  1. insert the idempotency row first (a concurrent twin waits on its unique index, then sees
 *     it: same content hash = replay, other = IDEMPOTENCY_CONFLICT);
 *  2. lock every account the command can touch, in sorted id order (so two commands never wait
 *     on each other in a cycle), plus the dispute row it reads;
 *  3. plan with the pure rules against what was read under those locks;
 *  4. write entries, balances (upsert), unbonding and dispute rows; COMMIT.
 * A refused command rolls back entirely, so its key stays free for a corrected retry.
 *
 * Steps 1-2 (with BEGIN and the other reads) are one pipelined round trip, step 4 with COMMIT
 * another: two round trips per command, whatever its kind (see runBatch).
 */
export class PgLedger implements LedgerStore {
  private readonly maxAttempts: number;
  /** Transactions rerun after a serialization failure or deadlock, since connect (for benchmarks and metrics). */
  retries = 0;

  private constructor(
    private readonly dataSource: DataSource,
    /** The write path's own connections, in pg's pipeline mode; TypeORM keeps entities, migrations and reads. */
    private readonly pool: Pool,
    private readonly options: PgLedgerOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 8;
  }

  /** Connects (without migrating: that is `aegis db migrate`'s job). */
  static async connect(options: PgLedgerOptions): Promise<PgLedger> {
    const schema = parseSchemaName(options.schema ?? LEDGER_SCHEMA);
    const dataSource = buildLedgerDataSource(options);
    await dataSource.initialize();
    const pool = pipelinedPool(options.url, options.poolSize ?? 10, options.applicationName ?? `aegis-${schema}`);
    return new PgLedger(dataSource, pool, options);
  }

  get rules(): LedgerRules {
    return this.options.rules;
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  async apply(input: LedgerCommand, now: Date): Promise<ApplyOutcome> {
    const cmd = parseLedgerCommand(input);
    const hash = storedContentHash(cmd);
    return this.withRetries(() => this.applyOnce(cmd, hash, now));
  }

  /**
   * LedgerStore.applyBatch. The commands that read accounts only (deposit, stake, escrow-fee and
   * payout-fee: the per-task fee flow) share one transaction of two round trips whatever their
   * number, instead of two round trips and ~5 statements each: claim every key, lock every
   * account any of them reads (sorted: the global lock order), plan each in turn against the
   * locked balances as the ones before it left them, then write every entry and balance in one
   * statement and COMMIT. A command refused by the rules gives its claim back in that COMMIT.
   * The rest (dispute and unbonding commands, keys used before, a key twice in the batch) are
   * applied one by one afterwards, by apply; a lone batchable command is too.
   */
  async applyBatch(inputs: readonly LedgerCommand[], now: Date): Promise<BatchItemOutcome[]> {
    const out: (BatchItemOutcome | undefined)[] = inputs.map(() => undefined);
    const batched: BatchItem[] = [];
    const alone: number[] = [];
    const keys = new Set<string>();
    inputs.forEach((input, index) => {
      let cmd: LedgerCommand;
      try {
        cmd = parseLedgerCommand(input);
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error;
        out[index] = { ok: false, error };
        return;
      }
      const reads = planReadsOf(cmd);
      if (keys.has(cmd.key) || reads.dispute !== undefined || reads.unbondingOf !== undefined || reads.openDisputesOf !== undefined) {
        alone.push(index);
        return;
      }
      keys.add(cmd.key);
      batched.push({ index, cmd, hash: storedContentHash(cmd), reads });
    });
    if (batched.length === 1) alone.unshift((batched.pop() as BatchItem).index);
    if (batched.length > 0) {
      const outcomes = await this.withRetries(() => this.applyBatchOnce(batched, now));
      batched.forEach((item, i) => {
        const outcome = outcomes[i];
        // A key used before: apply tells a replay from an IDEMPOTENCY_CONFLICT.
        if (outcome === undefined) alone.push(item.index);
        else out[item.index] = outcome;
      });
    }
    for (const index of alone) {
      try {
        out[index] = { ok: true, outcome: await this.apply(inputs[index] as LedgerCommand, now) };
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error;
        out[index] = { ok: false, error };
      }
    }
    return out.map((o) => {
      if (o === undefined) throw new Error('ledger bug: a batch command got no outcome');
      return o;
    });
  }

  /** Runs one transaction attempt again after a serialization failure or a deadlock. */
  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (n >= this.maxAttempts || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
        this.retries += 1;
        // Jittered backoff so that the transactions that just collided do not collide again.
        await new Promise((r) => setTimeout(r, Math.random() * 2 ** Math.min(n, 6)));
      }
    }
  }

  /**
   * One transaction for accounts-only commands with distinct keys. Outcomes in `items` order;
   * undefined for a key that was already claimed (by an earlier or a concurrent command).
   */
  private async applyBatchOnce(items: readonly BatchItem[], now: Date): Promise<(BatchItemOutcome | undefined)[]> {
    const s = this.schema;
    // Claims in key order, locks in account order: two batches never wait on each other in a cycle.
    const claimOrder = [...items].sort((a, b) => (a.cmd.key < b.cmd.key ? -1 : a.cmd.key > b.cmd.key ? 1 : 0));
    const accounts = [...new Set(items.flatMap((i) => i.reads.accounts))].sort();
    return this.inTransaction(async (client) => {
      // Round trip 1: BEGIN, the claims, the locks.
      const [, claimed, locked] = await runBatch(client, [
        BEGIN,
        {
          sql: `INSERT INTO ${s}.commands (key, content_hash, kind, applied_at)
                SELECT c.key, c.hash, c.kind, $4 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS c(key, hash, kind, n) ORDER BY c.n
                ON CONFLICT (key) DO NOTHING RETURNING key`,
          params: [claimOrder.map((i) => i.cmd.key), claimOrder.map((i) => i.hash), claimOrder.map((i) => i.cmd.kind), now],
        },
        { sql: `SELECT id, balance FROM ${s}.accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, params: [accounts] },
      ]);
      const fresh = new Set((claimed?.rows ?? []).map((r) => String(r.key)));
      const balances = new Map<string, bigint>();
      for (const r of locked?.rows ?? []) balances.set(String(r.id), BigInt(String(r.balance)));
      const existing = new Set(balances.keys());

      const outcomes: (BatchItemOutcome | undefined)[] = items.map(() => undefined);
      const planned: { at: number; transition: LedgerTransition }[] = [];
      const refused: string[] = [];
      items.forEach((item, at) => {
        if (!fresh.has(item.cmd.key)) return;
        const none = { dispute: [], parties: [], unbonding: [], openDisputes: [] };
        try {
          const transition = planParsedTransition(item.cmd, this.viewOf(item.cmd, item.reads, balances, none), now, this.options.rules);
          if (transition.unbondingAdded || transition.unbondingReleased || transition.dispute) {
            throw new Error(`ledger bug: ${item.cmd.kind} reads accounts only but changed more than balances`);
          }
          // The next command of the batch sees the balances as this one leaves them.
          for (const p of transition.postings) balances.set(p.account, (balances.get(p.account) ?? 0n) + p.amount);
          planned.push({ at, transition });
        } catch (error) {
          if (!(error instanceof LedgerError)) throw error;
          outcomes[at] = { ok: false, error };
          refused.push(item.cmd.key);
        }
      });
      if (planned.length === 0) {
        await runBatch(client, [ROLLBACK]);
        return outcomes;
      }

      // Round trip 2: every write, the refused commands' claims given back, COMMIT.
      const writes = this.balanceWriteStatements(
        planned.map((p) => p.transition),
        existing,
        now,
      );
      if (refused.length > 0) writes.push({ sql: `DELETE FROM ${s}.commands WHERE key = ANY($1::text[])`, params: [refused] });
      const written = await this.writeAndCommit(
        client,
        writes,
        planned.map((p) => p.transition.command),
        'a command batch',
      );
      // The postings statement comes first and returns each entry's id with its command's key.
      const firstId = firstEntryIds(written[0]?.rows ?? []);
      for (const { at, transition } of planned) {
        const sequence = firstId.get(transition.command.key);
        outcomes[at] = {
          ok: true,
          outcome: { applied: true, entries: transition.postings, ...(sequence === undefined ? {} : { sequence }) },
        };
      }
      return outcomes;
    });
  }

  /**
   * A transaction on a pipelined connection: `fn` sends BEGIN and ends it (COMMIT or ROLLBACK);
   * if it throws with the block open, it is rolled back here. A connection that failed is
   * dropped from the pool, not reused.
   */
  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A backend that dies while we hold the connection surfaces as an 'error' event besides the
    // failed query; without a listener it would crash the process.
    const onError = (e: Error): void => void (broken = e);
    client.on('error', onError);
    try {
      return await fn(client);
    } catch (err) {
      // ROLLBACK outside a block only draws a warning, so it is sent whatever state fn left.
      await runBatch(client, [ROLLBACK]).catch((e: unknown) => (broken = e instanceof Error ? e : new Error(String(e))));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async applyOnce(cmd: LedgerCommand, hash: string, now: Date): Promise<ApplyOutcome> {
    const s = this.schema;
    const reads = planReadsOf(cmd);
    return this.inTransaction(async (client) => {
      // Round trip 1: BEGIN; claim the idempotency key and lock the accounts in id order (the
      // global lock order, so two commands never wait on each other in a cycle); then the other
      // reads, each run by the server after the locks before it are held.
      const { statements, slots } = this.readStatements(reads);
      const results = await runBatch(client, [
        BEGIN,
        {
          sql: `WITH claimed AS (
                  INSERT INTO ${s}.commands (key, content_hash, kind, applied_at) VALUES ($1, $2, $3, $4)
                  ON CONFLICT (key) DO NOTHING RETURNING key
                )
                SELECT (SELECT count(*) FROM claimed)::int AS fresh, a.id, a.balance
                FROM (SELECT 1) AS one
                LEFT JOIN LATERAL (
                  SELECT id, balance FROM ${s}.accounts WHERE id = ANY($5::text[]) ORDER BY id FOR UPDATE
                ) AS a ON true`,
          params: [cmd.key, hash, cmd.kind, now, reads.accounts],
        },
        ...statements,
      ]);
      const rowsAt = (i: number | undefined): Row[] => (i === undefined ? [] : (results[i + 2]?.rows ?? []));
      const claim = results[1]?.rows ?? [];
      if (claim[0]?.fresh !== 1) return this.replay(client, cmd, hash);
      const balances = new Map<string, bigint>();
      for (const r of claim) if (r.id !== null) balances.set(String(r.id), BigInt(String(r.balance)));

      const view = this.viewOf(cmd, reads, balances, {
        dispute: rowsAt(slots.dispute),
        parties: rowsAt(slots.parties),
        unbonding: rowsAt(slots.unbonding),
        openDisputes: rowsAt(slots.openDisputes),
      });
      const transition = planParsedTransition(cmd, view, now, this.options.rules);
      // Round trip 2: every write and COMMIT.
      const written = await this.writeAndCommit(client, this.writeStatements(transition, new Set(balances.keys()), now), [cmd], cmd.key);
      const sequence = transition.postings.length > 0 ? firstEntryIds(written[0]?.rows ?? []).get(cmd.key) : undefined;
      return { applied: true, entries: transition.postings, ...(sequence === undefined ? {} : { sequence }) };
    });
  }

  /**
   * Round trip 2 of a transaction: `writes` and COMMIT (with the test hook, `beforeCommit` runs
   * for each command in a gap of its own before COMMIT). Returns the writes' results.
   */
  private async writeAndCommit(
    client: PoolClient,
    writes: Statement[],
    commands: readonly LedgerCommand[],
    what: string,
  ): Promise<Awaited<ReturnType<typeof runBatch>>> {
    const hook = this.options.beforeCommit;
    let done: Awaited<ReturnType<typeof runBatch>>;
    let written: Awaited<ReturnType<typeof runBatch>>;
    if (hook) {
      written = await runBatch(client, writes);
      for (const command of commands) await hook(command);
      done = await runBatch(client, [COMMIT]);
    } else {
      done = await runBatch(client, [...writes, COMMIT]);
      written = done;
    }
    // A COMMIT that ends an aborted block answers ROLLBACK instead of failing; every statement
    // before it succeeded, so this cannot happen, but money is not the place to assume it.
    if (done[done.length - 1]?.command !== 'COMMIT') throw new Error(`ledger: ${what} did not commit`);
    return written;
  }

  /** An already used key: its stored hash and entries, then ROLLBACK (the claim inserted nothing), in one round trip. */
  private async replay(client: PoolClient, cmd: LedgerCommand, hash: string): Promise<ApplyOutcome> {
    const s = this.schema;
    const [stored, entries] = await runBatch(client, [
      { sql: `SELECT content_hash FROM ${s}.commands WHERE key = $1`, params: [cmd.key] },
      { sql: `SELECT account, amount FROM ${s}.entries WHERE command_key = $1 ORDER BY id`, params: [cmd.key] },
      ROLLBACK,
    ]);
    if (stored?.rows[0]?.content_hash !== hash) {
      throw new LedgerError(LedgerErrorCode.IDEMPOTENCY_CONFLICT, 'key', `key ${cmd.key} was used for a different command`);
    }
    return {
      applied: false,
      entries: (entries?.rows ?? []).map((r) => ({ account: logicalAccount(String(r.account)), amount: BigInt(String(r.amount)) })),
    };
  }

  /**
   * The rest of what planTransition may read for `cmd` (see planReads), locking the dispute row.
   * They follow the account locks in the same pipeline: the server runs them after those locks
   * are held, and every writer of a tranche or of a dispute's parties holds the same locks.
   * (Parties are a statement of their own, not a subquery of the locking one: under READ
   * COMMITTED a row lock waited for re-reads the row, not a subquery's snapshot.)
   */
  private readStatements(reads: PlanReads): { statements: Statement[]; slots: ReadSlots } {
    const s = this.schema;
    const statements: Statement[] = [];
    const slots: ReadSlots = {};
    const add = (slot: keyof ReadSlots, statement: Statement): void => {
      slots[slot] = statements.length;
      statements.push(statement);
    };
    if (reads.dispute !== undefined) {
      add('dispute', { sql: `SELECT accused, open FROM ${s}.disputes WHERE id = $1 FOR UPDATE`, params: [reads.dispute] });
      add('parties', { sql: `SELECT address FROM ${s}.dispute_parties WHERE dispute_id = $1 ORDER BY address`, params: [reads.dispute] });
    }
    if (reads.unbondingOf !== undefined) {
      add('unbonding', {
        sql: `SELECT id, amount, release_at FROM ${s}.unbonding WHERE address = $1 ORDER BY release_at, id`,
        params: [reads.unbondingOf],
      });
    }
    if (reads.openDisputesOf !== undefined) {
      add('openDisputes', {
        sql: `SELECT p.dispute_id FROM ${s}.dispute_parties p JOIN ${s}.disputes d ON d.id = p.dispute_id
              WHERE p.address = $1 AND d.open ORDER BY p.dispute_id`,
        params: [reads.openDisputesOf],
      });
    }
    return { statements, slots };
  }

  private viewOf(
    cmd: LedgerCommand,
    reads: PlanReads,
    balances: Map<string, bigint>,
    rows: { dispute: Row[]; parties: Row[]; unbonding: Row[]; openDisputes: Row[] },
  ): LedgerView {
    const d = rows.dispute[0];
    const dispute: (DisputeState & { id: string }) | undefined =
      d && reads.dispute !== undefined
        ? { id: reads.dispute, accused: String(d.accused), open: d.open === true, parties: rows.parties.map((p) => String(p.address)) }
        : undefined;
    const tranches: UnbondingTranche[] = rows.unbonding.map((r) => ({
      id: String(r.id),
      amount: BigInt(String(r.amount)),
      releaseAt: new Date(r.release_at as Date),
    }));
    const openDisputes = rows.openDisputes.map((r) => String(r.dispute_id));
    return {
      balance: (account) => {
        // A plan reading an account it did not declare would read it unlocked: fail loudly.
        if (!reads.accounts.includes(account)) throw new Error(`ledger bug: ${cmd.kind} read undeclared account ${account}`);
        return balances.get(account);
      },
      unbonding: (address) => (address === reads.unbondingOf ? tranches : []),
      dispute: (id) => (dispute && id === dispute.id ? dispute : undefined),
      openDisputesOf: (address) => (address === reads.openDisputesOf ? openDisputes : []),
    };
  }

  /** The statements that write `t` (sent in one round trip with COMMIT). */
  private writeStatements(t: LedgerTransition, existing: ReadonlySet<string>, now: Date): Statement[] {
    const s = this.schema;
    // Postings first: the caller reads the entry ids from the first statement's rows.
    const out: Statement[] = this.balanceWriteStatements([t], existing, now);
    if (t.unbondingReleased) {
      out.push({ sql: `DELETE FROM ${s}.unbonding WHERE id = ANY($1::text[])`, params: [t.unbondingReleased.ids] });
    }
    if (t.unbondingAdded) {
      const u = t.unbondingAdded;
      out.push({
        sql: `INSERT INTO ${s}.unbonding (id, address, amount, release_at) VALUES ($1, $2, $3::numeric, $4)`,
        params: [u.id, u.address, u.amount.toString(), u.releaseAt],
      });
    }
    const d = t.dispute;
    if (d) {
      switch (d.kind) {
        case 'open':
          out.push({
            sql: `WITH d AS (INSERT INTO ${s}.disputes (id, accused, open) VALUES ($1, $2, true))
                  INSERT INTO ${s}.dispute_parties (dispute_id, address) VALUES ($1, $2)`,
            params: [d.disputeId, d.accused],
          });
          break;
        case 'join':
          out.push({ sql: `INSERT INTO ${s}.dispute_parties (dispute_id, address) VALUES ($1, $2)`, params: [d.disputeId, d.address] });
          break;
        case 'close':
          out.push({ sql: `UPDATE ${s}.disputes SET open = false WHERE id = $1`, params: [d.disputeId] });
          break;
      }
    }
    return out;
  }

  /**
   * The balance writes of one or more transitions in one transaction: one statement for every
   * balance and entry (deltas summed per account, as a statement may not update a row twice;
   * entries in transition and posting order, each returning its id and its command's key), then,
   * when something was minted, one for the minted totals. Nothing when there are no postings.
   */
  private balanceWriteStatements(transitions: readonly LedgerTransition[], existing: ReadonlySet<string>, now: Date): Statement[] {
    const s = this.schema;
    const rows: { key: string; account: string; amount: bigint }[] = [];
    const minted = new Map<number, bigint>();
    for (const t of transitions) {
      const key = t.command.key;
      const shard = shardOf(key);
      for (const p of t.postings)
        rows.push({ key, account: p.account === TREASURY ? `${TREASURY_SHARD_PREFIX}${shard}` : p.account, amount: p.amount });
      if (t.minted !== 0n) minted.set(shard, (minted.get(shard) ?? 0n) + t.minted);
    }
    const out: Statement[] = [];
    if (rows.length > 0) {
      const delta = new Map<string, bigint>();
      for (const r of rows) delta.set(r.account, (delta.get(r.account) ?? 0n) + r.amount);
      // One change per account, in lock order.
      const ids = [...delta.keys()].sort();
      const held = ids.filter((id) => existing.has(id));
      // Accounts that did not exist can only be credited (the plan refuses debits from them), so
      // they are upserted: a concurrent command may be creating the same one.
      const fresh = ids.filter((id) => !existing.has(id));
      const amounts = (list: string[]): string[] => list.map((id) => (delta.get(id) ?? 0n).toString());
      out.push({
        sql: `WITH held AS (
                -- a.id = ANY($1) is implied by the join, but it hands the cached generic plan of
                -- this prepared statement an index condition: without it the planner (which
                -- cannot see how many rows unnest yields) settled on a seq scan of accounts.
                UPDATE ${s}.accounts AS a SET balance = a.balance + d.delta
                FROM unnest($1::text[], $2::numeric[]) AS d(id, delta) WHERE a.id = d.id AND a.id = ANY($1::text[])
              ), fresh AS (
                INSERT INTO ${s}.accounts AS a (id, balance)
                SELECT * FROM unnest($3::text[], $4::numeric[])
                ON CONFLICT (id) DO UPDATE SET balance = a.balance + EXCLUDED.balance
              )
              INSERT INTO ${s}.entries (command_key, account, amount, created_at)
              SELECT e.key, e.account, e.amount, $5 FROM unnest($6::text[], $7::text[], $8::numeric[]) WITH ORDINALITY AS e(key, account, amount, n)
              ORDER BY e.n
              RETURNING id, command_key`,
        params: [
          held,
          amounts(held),
          fresh,
          amounts(fresh),
          now,
          rows.map((r) => r.key),
          rows.map((r) => r.account),
          rows.map((r) => r.amount.toString()),
        ],
      });
    }
    if (minted.size > 0) {
      out.push({
        sql: `UPDATE ${s}.supply AS x SET minted = x.minted + d.amount FROM unnest($1::int[], $2::numeric[]) AS d(id, amount) WHERE x.id = d.id`,
        params: [[...minted.keys()], [...minted.values()].map(String)],
      });
    }
    return out;
  }

  async balance(account: string): Promise<bigint> {
    const sql =
      account === TREASURY
        ? `SELECT sum(balance) AS balance FROM ${this.schema}.accounts WHERE id LIKE '${TREASURY_SHARD_PREFIX}%'`
        : `SELECT balance FROM ${this.schema}.accounts WHERE id = $1`;
    const [row] = (await this.dataSource.query(sql, account === TREASURY ? [] : [account])) as Row[];
    return row && row.balance !== null ? BigInt(String(row.balance)) : 0n;
  }

  async balances(): Promise<Map<string, bigint>> {
    const rows = await this.dataSource.getRepository(LedgerAccountEntity).find({ order: { id: 'ASC' } });
    const out = new Map<string, bigint>();
    for (const r of rows) {
      const id = logicalAccount(r.id);
      out.set(id, (out.get(id) ?? 0n) + r.balance);
    }
    return out;
  }

  async totalMinted(): Promise<bigint> {
    const [row] = (await this.dataSource.query(`SELECT coalesce(sum(minted), 0) AS minted FROM ${this.schema}.supply`)) as Row[];
    return BigInt(String(row?.minted ?? '0'));
  }

  async isActive(address: string): Promise<boolean> {
    const stake = await this.balance(accountId.stake(parseAddress(address, 'address')));
    return stake > 0n && stake >= this.options.rules.minStake;
  }

  async activeNodes(): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT substr(id, 7) AS address FROM ${this.schema}.accounts
       WHERE id LIKE 'stake:%' AND balance > 0 AND balance >= $1::numeric ORDER BY id`,
      [this.options.rules.minStake.toString()],
    )) as Row[];
    return rows.map((r) => String(r.address));
  }

  /** Sum, minted and negatives read in one snapshot, so concurrent commands cannot skew it. */
  async checkInvariant(): Promise<InvariantReport> {
    const s = this.schema;
    const [row] = (await this.dataSource.query(
      `SELECT (SELECT coalesce(sum(balance), 0) FROM ${s}.accounts) AS sum,
              (SELECT coalesce(sum(minted), 0) FROM ${s}.supply) AS minted,
              (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM ${s}.accounts WHERE balance < 0) AS negative`,
    )) as Row[];
    const sum = BigInt(String(row?.sum ?? '0'));
    const minted = BigInt(String(row?.minted ?? '0'));
    const negative = (row?.negative as string[] | undefined) ?? [];
    return { ok: sum === minted && negative.length === 0, sum, minted, negative };
  }

  /** Accounts whose balance differs from the sum of their entries (the double-entry audit); [] when sound. */
  async unreconciledAccounts(): Promise<string[]> {
    const s = this.schema;
    const rows = (await this.dataSource.query(
      `SELECT coalesce(a.id, e.account) AS id FROM ${s}.accounts a
       FULL JOIN (SELECT account, sum(amount) AS total FROM ${s}.entries GROUP BY account) e ON e.account = a.id
       WHERE coalesce(a.balance, 0) <> coalesce(e.total, 0) ORDER BY 1`,
    )) as Row[];
    return rows.map((r) => String(r.id));
  }

  /**
   * Marks commands as announced (their LedgerEvent is published). Best effort by design: a
   * command left unmarked is only announced again, which consumers dedupe by sequence.
   */
  async markAnnounced(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await preparedQuery(
      this.pool,
      `UPDATE ${this.schema}.commands SET announced_at = now() WHERE key = ANY($1::text[]) AND announced_at IS NULL`,
      [[...keys]],
    );
  }

  /**
   * Applied commands not marked announced and applied before `before`, oldest first: what a
   * process that died between COMMIT and publishing left unannounced. Each with the sequence and
   * postings its first announcement carried (the sequence is its first entry's id, as in apply).
   */
  async unannounced(before: Date, limit: number): Promise<UnannouncedCommand[]> {
    const s = this.schema;
    const { rows } = await preparedQuery(
      this.pool,
      // One read of each command's entries for all three arrays (NULL when it has none).
      `SELECT c.key, c.kind, c.applied_at, e.ids, e.accounts, e.amounts
       FROM ${s}.commands c
       CROSS JOIN LATERAL (
         SELECT array_agg(x.id::text ORDER BY x.id) AS ids, array_agg(x.account ORDER BY x.id) AS accounts, array_agg(x.amount::text ORDER BY x.id) AS amounts
           FROM ${s}.entries x WHERE x.command_key = c.key
       ) AS e
       WHERE c.announced_at IS NULL AND c.applied_at < $1 ORDER BY c.applied_at, c.key LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => {
      const ids = (r.ids ?? []) as string[];
      const amounts = (r.amounts ?? []) as string[];
      return {
        key: String(r.key),
        kind: String(r.kind),
        appliedAt: r.applied_at as Date,
        sequence: ids.length > 0 ? BigInt(ids[0] as string) : 0n,
        postings: ((r.accounts ?? []) as string[]).map((account, i) => ({
          account: logicalAccount(account),
          amount: BigInt(amounts[i] as string),
        })),
      };
    });
  }

  /** The postings recorded for one command key (empty if it never committed). */
  async entriesOf(key: string): Promise<Posting[]> {
    const rows = (await this.dataSource.query(`SELECT account, amount FROM ${this.schema}.entries WHERE command_key = $1 ORDER BY id`, [
      key,
    ])) as Row[];
    return rows.map((r) => ({ account: logicalAccount(String(r.account)), amount: BigInt(String(r.amount)) }));
  }

  private get schema(): string {
    return `"${parseSchemaName(this.options.schema ?? LEDGER_SCHEMA)}"`;
  }
}

/** Each command's first entry id (its sequence), from the postings statement's (id, command_key) rows. */
function firstEntryIds(rows: readonly Row[]): Map<string, bigint> {
  const first = new Map<string, bigint>();
  for (const r of rows) {
    const key = String(r.command_key);
    const id = BigInt(String(r.id));
    const seen = first.get(key);
    if (seen === undefined || id < seen) first.set(key, id);
  }
  return first;
}
