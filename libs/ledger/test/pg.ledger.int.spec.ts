import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountId, TREASURY } from '../src/core/ledger.accounts';
import type { LedgerCommand } from '../src/core/ledger.commands';
import { LedgerError, LedgerErrorCode } from '../src/core/ledger.errors';
import { InMemoryLedger } from '../src/memory/in-memory.ledger';
import type { PgLedger } from '../src/pg/pg.ledger';
import { describeLedgerStoreScenarios, expectRefused } from '../src/testing/ledger-store.scenarios';
import { addr, at, deposit, stake, TEST_RULES } from '../src/testing/ledger.fixtures';
import { admin, openPgLedger, scratchSchema } from './pg-ledger.harness';

describeLedgerStoreScenarios('PgLedger', async () => {
  const { schema, drop } = await scratchSchema();
  const store = await openPgLedger(schema);
  return {
    store,
    close: async () => {
      expect(await store.unreconciledAccounts()).toEqual([]);
      await store.close();
      await drop();
    },
  };
});

describe('PgLedger: concurrency, crashes, replays', () => {
  let schema: string;
  let drop: () => Promise<void>;
  const open: PgLedger[] = [];
  const connect = async (...args: Parameters<typeof openPgLedger> extends [string, ...infer R] ? R : never) => {
    const ledger = await openPgLedger(schema, ...args);
    open.push(ledger);
    return ledger;
  };

  beforeEach(async () => {
    ({ schema, drop } = await scratchSchema());
  });

  afterEach(async () => {
    const check = await connect();
    const report = await check.checkInvariant();
    expect(
      report.ok,
      JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    ).toBe(true);
    expect(await check.unreconciledAccounts()).toEqual([]);
    await Promise.all(open.splice(0).map((l) => l.close()));
    await drop();
  });

  it('serializes hundreds of concurrent commands from 20 connections on a few hot accounts', async () => {
    const nodes = [1, 2, 3, 4].map(addr);
    const setup = await connect();
    for (const n of nodes) await setup.apply(deposit(n, 1_000_000n, `seed-${n}`), at(0));

    const clients = await Promise.all(Array.from({ length: 20 }, () => connect({ poolSize: 1 })));
    // Each client moves money around the same four nodes: escrows, payouts, stakes. All of them
    // succeed whatever the interleaving, so any serial order gives the same final balances: the
    // in-memory twin replays them serially and the concurrent Postgres result must match it.
    const results = await Promise.all(
      clients.map(async (ledger, c) => {
        const done: { cmd: LedgerCommand; ok: boolean }[] = [];
        for (let i = 0; i < 15; i++) {
          const [x, y, z] = [nodes[(c + i) % 4]!, nodes[(c + i + 1) % 4]!, nodes[(c + i + 2) % 4]!];
          const task = `t-${c}-${i}`;
          const cmds: LedgerCommand[] = [
            { kind: 'escrow-fee', key: `e-${task}`, taskId: task, client: x, amount: 101n },
            { kind: 'payout-fee', key: `p-${task}`, taskId: task, submitter: y, verifiers: [z, x], submitterShareBps: 3_333 },
            { kind: 'stake', key: `s-${task}`, address: y, amount: 7n },
          ];
          for (const cmd of cmds) {
            try {
              await ledger.apply(cmd, at(i));
              done.push({ cmd, ok: true });
            } catch (err) {
              if (!(err instanceof LedgerError)) throw err;
              done.push({ cmd, ok: false });
            }
          }
        }
        return done;
      }),
    );
    const all = results.flat();
    expect(all).toHaveLength(20 * 15 * 3);
    expect(all.every((r) => r.ok)).toBe(true);

    // Every fee left escrow exactly once; every stake landed.
    const twin = new InMemoryLedger(TEST_RULES);
    for (const n of nodes) twin.applySync(deposit(n, 1_000_000n, `seed-${n}`), at(0));
    for (const r of all) twin.applySync(r.cmd, at(0));
    expect(await setup.balances()).toEqual(await twin.balances());
  });

  it('lets exactly one of many racing transactions spend the same funds', async () => {
    const a = addr(0xa1);
    const setup = await connect();
    await setup.apply(deposit(a, 100n), at(0));
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect({ poolSize: 1 })));
    const outcomes = await Promise.allSettled(clients.map((l, i) => l.apply(stake(a, 60n, `race-${i}`), at(1))));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((o) => (o.reason as LedgerError).code)).toEqual(Array(9).fill(LedgerErrorCode.INSUFFICIENT_FUNDS));
    expect(await setup.balance(accountId.stake(a))).toBe(60n);
  });

  it('applies the same key once across separate PgLedger instances, even when they race', async () => {
    const a = addr(0xa2);
    const instances = await Promise.all(Array.from({ length: 6 }, () => connect({ poolSize: 2 })));
    const cmd = deposit(a, 500n, 'faucet-a2');
    const outcomes = await Promise.all(instances.map((l) => l.apply(cmd, at(0))));
    expect(outcomes.filter((o) => o.applied)).toHaveLength(1);
    for (const o of outcomes) expect(o.entries).toEqual([{ account: accountId.free(a), amount: 500n }]);
    expect(await instances[0]!.totalMinted()).toBe(500n);
    await expectRefused(instances[3]!, deposit(a, 501n, 'faucet-a2'), LedgerErrorCode.IDEMPOTENCY_CONFLICT, 'key');
    // A later, fresh instance sees the key too.
    const late = await connect();
    expect((await late.apply(cmd, at(9))).applied).toBe(false);
  });

  it('leaves no trace of a command that fails after writing, and its key stays usable', async () => {
    const a = addr(0xa3);
    const b = addr(0xb3);
    const ok = await connect();
    await ok.apply(deposit(a, 1_000n), at(0));
    await ok.apply({ kind: 'escrow-fee', key: 'esc', taskId: 'task-x', client: a, amount: 300n }, at(0));
    const crashing = await connect({
      beforeCommit: async () => {
        throw new Error('injected crash after writes');
      },
    });
    const payout: LedgerCommand = {
      kind: 'payout-fee',
      key: 'pay',
      taskId: 'task-x',
      submitter: b,
      verifiers: [a],
      submitterShareBps: 5_000,
    };
    await expect(crashing.apply(payout, at(1))).rejects.toThrow('injected crash');
    expect(await ok.entriesOf('pay')).toEqual([]);
    expect(await ok.balance(accountId.escrow('task-x'))).toBe(300n);
    expect(await admin(async (c) => (await c.query(`SELECT 1 FROM "${schema}".commands WHERE key = 'pay'`)).rowCount)).toBe(0);
    // The key was not burnt: the real application goes through once.
    expect((await ok.apply(payout, at(2))).applied).toBe(true);
    expect(await ok.balance(accountId.free(b))).toBe(150n);
  });

  it('leaves no trace when the connection is killed mid-transaction', async () => {
    const a = addr(0xa4);
    const ok = await connect();
    await ok.apply(deposit(a, 1_000n), at(0));
    const appName = `aegis-ledger-crash-${schema}`;
    const victim = await connect({
      applicationName: appName,
      beforeCommit: () =>
        admin(async (c) => {
          // Kill our own backend from outside while it holds its locks and uncommitted rows.
          const killed = await c.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction'`,
            [appName],
          );
          expect(killed.rowCount).toBe(1);
        }),
    });
    await expect(victim.apply(stake(a, 400n, 'killed-stake'), at(1))).rejects.toThrow();
    expect(await ok.entriesOf('killed-stake')).toEqual([]);
    expect(await ok.balance(accountId.free(a))).toBe(1_000n);
    expect(await ok.balance(accountId.stake(a))).toBe(0n);
    // The killed backend's locks are gone: the same command now applies.
    expect((await ok.apply(stake(a, 400n, 'killed-stake'), at(2))).applied).toBe(true);
  });

  it('returns the id of the first entry it wrote as the sequence, increasing in commit order', async () => {
    const a = addr(0xa6);
    const b = addr(0xa7);
    const ledger = await connect();
    const outcomes = [];
    for (const [i, cmd] of [deposit(a, 10n, 'seq-1'), deposit(b, 20n, 'seq-2'), stake(a, 5n, 'seq-3')].entries())
      outcomes.push(await ledger.apply(cmd, at(i)));
    const stored = await admin((c) =>
      c.query<{ key: string; first: string }>(
        `SELECT command_key AS key, min(id)::text AS first FROM "${schema}".entries WHERE command_key LIKE 'seq-%' GROUP BY 1 ORDER BY 1`,
      ),
    );
    expect(outcomes.map((o) => o.sequence)).toEqual(stored.rows.map((r) => BigInt(r.first)));
    expect(outcomes[0]!.sequence! < outcomes[1]!.sequence! && outcomes[1]!.sequence! < outcomes[2]!.sequence!).toBe(true);
    // A replay reports what was applied the first time, not a sequence of its own.
    expect((await ledger.apply(deposit(a, 10n, 'seq-1'), at(9))).sequence).toBeUndefined();
  });

  it('serializes concurrent batches on a few hot accounts: the result is a serial order of every command', async () => {
    const nodes = [1, 2, 3, 4].map((n) => addr(0xc0 + n));
    const setup = await connect();
    for (const n of nodes) await setup.apply(deposit(n, 1_000_000n, `bseed-${n}`), at(0));
    const clients = await Promise.all(Array.from({ length: 10 }, () => connect({ poolSize: 1 })));
    const batches = await Promise.all(
      clients.map(async (ledger, c) => {
        const sent: LedgerCommand[] = [];
        for (let i = 0; i < 10; i++) {
          const [x, y, z] = [nodes[(c + i) % 4]!, nodes[(c + i + 1) % 4]!, nodes[(c + i + 2) % 4]!];
          const task = `bt-${c}-${i}`;
          const batch: LedgerCommand[] = [
            { kind: 'escrow-fee', key: `be-${task}`, taskId: task, client: x, amount: 101n },
            { kind: 'payout-fee', key: `bp-${task}`, taskId: task, submitter: y, verifiers: [z, x], submitterShareBps: 3_333 },
            { kind: 'stake', key: `bs-${task}`, address: y, amount: 7n },
            { kind: 'deposit', key: `bd-${task}`, address: z, amount: 3n },
          ];
          const outcomes = await ledger.applyBatch(batch, at(i));
          expect(outcomes.map((o) => o.ok && o.outcome.applied)).toEqual([true, true, true, true]);
          sent.push(...batch);
        }
        return sent;
      }),
    );
    const twin = new InMemoryLedger(TEST_RULES);
    for (const n of nodes) twin.applySync(deposit(n, 1_000_000n, `bseed-${n}`), at(0));
    for (const cmd of batches.flat()) twin.applySync(cmd, at(0));
    expect(await setup.balances()).toEqual(await twin.balances());
    expect(await setup.totalMinted()).toBe(await twin.totalMinted());
  });

  it('leaves no trace of a batch that fails after writing, and numbers the entries of one that commits', async () => {
    const a = addr(0xa8);
    const b = addr(0xa9);
    const ok = await connect();
    await ok.apply(deposit(a, 1_000n), at(0));
    const batch: LedgerCommand[] = [
      { kind: 'escrow-fee', key: 'besc-1', taskId: 'bt-1', client: a, amount: 100n },
      { kind: 'escrow-fee', key: 'besc-2', taskId: 'bt-2', client: a, amount: 200n },
      stake(b, 1n, 'bstake-refused'), // b has no account: refused, inside the failing batch too
    ];
    const crashing = await connect({
      beforeCommit: async () => {
        throw new Error('injected crash after batch writes');
      },
    });
    await expect(crashing.applyBatch(batch, at(1))).rejects.toThrow('injected crash');
    expect(await ok.balance(accountId.free(a))).toBe(1_000n);
    expect(await admin(async (c) => (await c.query(`SELECT 1 FROM "${schema}".commands WHERE key LIKE 'bes%'`)).rowCount)).toBe(0);

    const outcomes = await ok.applyBatch(batch, at(2));
    expect(outcomes.map((o) => (o.ok ? o.outcome.applied : o.error.code))).toEqual([true, true, LedgerErrorCode.UNKNOWN_ACCOUNT]);
    expect(await ok.balance(accountId.free(a))).toBe(700n);
    const stored = await admin((c) =>
      c.query<{ key: string; first: string }>(
        `SELECT command_key AS key, min(id)::text AS first FROM "${schema}".entries WHERE command_key LIKE 'besc-%' GROUP BY 1 ORDER BY 1`,
      ),
    );
    const sequences = outcomes.slice(0, 2).map((o) => (o.ok ? o.outcome.sequence : undefined));
    expect(sequences).toEqual(stored.rows.map((r) => BigInt(r.first)));
    expect(sequences[0]! < sequences[1]!).toBe(true);
    // The refused command's claim was given back with the batch's COMMIT.
    expect(await admin(async (c) => (await c.query(`SELECT 1 FROM "${schema}".commands WHERE key = 'bstake-refused'`)).rowCount)).toBe(0);
  });

  it('enforces non-negative balances in the database itself, not only in the rules', async () => {
    const a = addr(0xa5);
    const ok = await connect();
    await ok.apply(deposit(a, 10n), at(0));
    const err = await admin((c) =>
      c.query(`UPDATE "${schema}".accounts SET balance = balance - 11 WHERE id = $1`, [accountId.free(a)]).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect((err as { code?: string }).code).toBe('23514'); // check_violation
    expect(await ok.balance(TREASURY)).toBe(0n);
  });
});
