import { randomBytes } from 'node:crypto';
import { runMigrations } from '@aegis/db';
import { TaskStatus } from '@aegis/contracts';
import { migrateLedger, PgLedger } from '@aegis/ledger';
import { testDatabaseUrl } from '@aegis/testing';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingressDataSource } from '../../../../services/ingress/src/index';
import { refundOrphanEscrows } from './escrow.refund';
import { checkLedger, type LedgerCheckSchemas } from './ledger.check';

const url = testDatabaseUrl();
const hash = (byte: string): string => `0x${byte.repeat(32)}`;
const client = `0x${'c1'.repeat(20)}`;
const node = `0x${'d1'.repeat(20)}`;

async function sql(text: string, params: unknown[] = []): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text, params);
  } finally {
    await c.end();
  }
}

/** A task row as ingress stores it, with `status` its latest status. */
async function storeTask(schema: string, taskHash: string, status: TaskStatus): Promise<void> {
  await sql(
    `INSERT INTO "${schema}".tasks (task_hash, model_id, spec, client, fee, status, status_sequence, submitted_at, last_activity_at)
     VALUES ($1, 'm', '\\x00', $2, '100', $3, 1, now(), now())`,
    [taskHash, client, status],
  );
}

describe('checkLedger on real Postgres', () => {
  const schemas: LedgerCheckSchemas = {
    ledger: `ledger_chk_${randomBytes(4).toString('hex')}`,
    ingress: `ingress_chk_${randomBytes(4).toString('hex')}`,
  };
  let ledger: PgLedger;

  beforeAll(async () => {
    await migrateLedger({ url, schema: schemas.ledger });
    await runMigrations(ingressDataSource(url, { schema: schemas.ingress, poolSize: 1 }));
    ledger = await PgLedger.connect({ url, schema: schemas.ledger, rules: { minStake: 1_000n, unbondingSeconds: 60 }, poolSize: 2 });
  });

  afterAll(async () => {
    await ledger?.close();
    await sql(`DROP SCHEMA IF EXISTS "${schemas.ledger}" CASCADE; DROP SCHEMA IF EXISTS "${schemas.ingress}" CASCADE`);
  });

  it('refunds an escrow whose task was never stored, once, leaving tasks in flight alone', async () => {
    const now = new Date();
    const payer = `0x${'c2'.repeat(20)}`;
    await ledger.apply({ kind: 'deposit', key: 'refund-d', address: payer, amount: 500n }, now);
    const [stored, lost] = [hash('b1'), hash('b2')];
    for (const task of [stored, lost])
      await ledger.apply({ kind: 'escrow-fee', key: `e-${task}`, taskId: task, client: payer, amount: 200n }, now);
    await storeTask(schemas.ingress, stored, TaskStatus.QUEUED);
    const young = await refundOrphanEscrows(url, schemas, { minAgeSeconds: 3_600 });
    expect(young).toEqual([]);
    const later = new Date(now.getTime() + 2 * 3_600_000);
    const refunds = await refundOrphanEscrows(url, schemas, { minAgeSeconds: 3_600, now: later });
    expect(refunds).toEqual([{ taskHash: lost, client: payer, amount: 200n, outcome: 'applied' }]);
    expect(await ledger.balance(`free:${payer}`)).toBe(300n);
    expect(await ledger.balance(`escrow:${lost}`)).toBe(0n);
    expect(await ledger.balance(`escrow:${stored}`)).toBe(200n);
    expect(await refundOrphanEscrows(url, schemas, { minAgeSeconds: 3_600, now: later })).toEqual([]);
    // Replaying the refund itself (a crash after COMMIT, before the report) changes nothing.
    const replay = await ledger.apply(
      { kind: 'refund-escrow', key: `refund-escrow/e-${lost}`, taskId: lost, client: payer, amount: 200n },
      later,
    );
    expect(replay.applied).toBe(false);
    expect(await ledger.balance(`free:${payer}`)).toBe(300n);
    const report = await checkLedger(url, schemas);
    expect(report.orphanEscrows).toEqual([]);
    expect(report.balances).toBe(report.minted);
  });

  it('passes a sound ledger, then names each kind of violation', async () => {
    const now = new Date();
    await ledger.apply({ kind: 'deposit', key: 'd', address: client, amount: 1_000n }, now);
    const [queued, decided, paid, orphan] = [hash('a1'), hash('a2'), hash('a3'), hash('a4')];
    for (const task of [queued, decided, paid])
      await ledger.apply({ kind: 'escrow-fee', key: `e-${task}`, taskId: task, client, amount: 100n }, now);
    await storeTask(schemas.ingress, queued, TaskStatus.QUEUED);
    await storeTask(schemas.ingress, decided, TaskStatus.ACCEPTED);
    await storeTask(schemas.ingress, paid, TaskStatus.ACCEPTED);
    await ledger.apply(
      { kind: 'payout-fee', key: `p-${paid}`, taskId: paid, submitter: node, verifiers: [], submitterShareBps: 10_000 },
      now,
    );
    await ledger.apply(
      { kind: 'payout-fee', key: `p-${decided}`, taskId: decided, submitter: node, verifiers: [], submitterShareBps: 10_000 },
      now,
    );

    const sound = await checkLedger(url, schemas);
    expect(sound).toEqual({
      ok: true,
      minted: 1_500n,
      balances: 1_500n,
      negative: [],
      unreconciled: [],
      orphanEscrows: [],
      unpaidEscrows: [],
    });

    // An escrow with no task, and a decided task whose payout is missing (undone by hand here).
    await ledger.apply({ kind: 'escrow-fee', key: `e-${orphan}`, taskId: orphan, client, amount: 100n }, now);
    await sql(`UPDATE "${schemas.ledger}".accounts SET balance = balance + 100 WHERE id = $1`, [`escrow:${decided}`]);
    await sql(`UPDATE "${schemas.ledger}".accounts SET balance = balance - 100 WHERE id = $1`, [`free:${node}`]);
    const broken = await checkLedger(url, schemas);
    expect(broken.ok).toBe(false);
    expect(broken.orphanEscrows).toEqual([{ taskHash: orphan, amount: 100n }]);
    expect(broken.unpaidEscrows).toEqual([{ taskHash: decided, amount: 100n }]);
    expect(broken.unreconciled).toEqual([`escrow:${decided}`, `free:${node}`]);
    expect(broken.balances).toBe(broken.minted);

    // Below zero, which the schema's CHECK forbids: dropped here to see the report catch it.
    await sql(`ALTER TABLE "${schemas.ledger}".accounts DROP CONSTRAINT accounts_balance_non_negative`);
    await sql(`UPDATE "${schemas.ledger}".accounts SET balance = -5 WHERE id = $1`, [`free:${client}`]);
    const negative = await checkLedger(url, schemas);
    expect(negative.negative).toEqual([`free:${client}`]);
    expect(negative.balances).not.toBe(negative.minted);
  });
});
