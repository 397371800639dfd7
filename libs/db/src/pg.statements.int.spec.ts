import { testDatabaseUrl } from '@aegis/testing';
import { Client, Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inPipelinedTransaction, preparedQuery } from './pg.statements';

const url = testDatabaseUrl();
const table = `pipelined_tx_${process.pid}`;

describe('inPipelinedTransaction (real Postgres, pipeline-mode pool)', () => {
  let pool: Pool;
  let admin: Client;

  beforeAll(async () => {
    admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`);
    pool = new Pool({ connectionString: url, max: 2, pipeline: true });
  });

  afterAll(async () => {
    await pool.end();
    await admin.query(`DROP TABLE IF EXISTS ${table}`);
    await admin.end();
  });

  const ids = async (): Promise<number[]> =>
    (await admin.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);

  it('commits queued writes, and a read sees the writes queued before it', async () => {
    const seen = await inPipelinedTransaction(pool, async (tx) => {
      tx.write({ sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`, params: [1, 'a'] });
      tx.write({ sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`, params: [2, 'b'] });
      const [count] = await tx.read({ sql: `SELECT count(*)::int AS n FROM ${table}`, params: [] });
      tx.write({ sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`, params: [3, 'c'] });
      return count?.rows[0]?.n as number;
    });
    expect(seen).toBe(2);
    expect(await ids()).toEqual([1, 2, 3]);
  });

  it('reports a failing queued write itself (not the aborted-transaction echo) and commits nothing', async () => {
    const before = await ids();
    const failure = await inPipelinedTransaction(pool, async (tx) => {
      tx.write({ sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`, params: [10, 'kept?'] });
      tx.write({ sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`, params: [1, 'duplicate key'] });
      tx.write({ sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`, params: [11, 'after'] });
    }).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    expect(failure?.code).toBe('23505'); // unique_violation, the cause
    expect(await ids()).toEqual(before);
  });

  it('rolls back when the function throws after reading, and the connection stays usable', async () => {
    const before = await ids();
    await expect(
      inPipelinedTransaction(pool, async (tx) => {
        tx.write({ sql: `INSERT INTO ${table} (id, note) VALUES ($1, $2)`, params: [20, 'x'] });
        await tx.read({ sql: `SELECT 1`, params: [] });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ids()).toEqual(before);
    // Both pooled connections still work (none was left inside an open transaction).
    const answers = await Promise.all([1, 2].map((n) => preparedQuery(pool, 'SELECT $1::int AS n', [n])));
    expect(answers.map((a) => a.rows[0]?.n)).toEqual([1, 2]);
  });
});
