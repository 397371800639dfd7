import { TaskStatus } from '@aegis/contracts';
import { Client } from 'pg';

/** Where a task ends: nothing happens to it any more. */
export const FINAL_STATUSES: readonly number[] = [TaskStatus.ACCEPTED, TaskStatus.REJECTED, TaskStatus.FAILED];

/** What the database says about a run's tasks and money, read once Postgres answers. */
export interface RunOutcome {
  /** Task hash -> status, for the tasks ingress stored. */
  readonly statuses: ReadonlyMap<string, number>;
  /** Task hashes whose fee was escrowed, or paid out / refunded, by more than one ledger command. */
  readonly duplicated: ReadonlySet<string>;
  /** Ledger liquidations (every node of a chaos run is honest: each one is an honest node slashed). */
  readonly liquidations: number;
}

/**
 * Reads the outcome with one short-lived connection. A duplicate is money moved twice for one
 * task: the ledger's commands are keyed (a replayed command is a no-op), so two distinct
 * commands crediting one task's escrow, or two debiting it, mean the same fee was escrowed or
 * paid twice.
 */
export async function readOutcome(databaseUrl: string): Promise<RunOutcome> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'aegis-chaos', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const tasks = await client.query<{ task_hash: string; status: number }>('SELECT task_hash, status FROM ingress.tasks');
    const dups = await client.query<{ task_hash: string }>(
      `SELECT substr(account, 8) AS task_hash FROM ledger.entries WHERE account LIKE 'escrow:%'
       GROUP BY account HAVING count(DISTINCT command_key) FILTER (WHERE amount > 0) > 1
                            OR count(DISTINCT command_key) FILTER (WHERE amount < 0) > 1`,
    );
    const slashes = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ledger.commands WHERE kind = 'liquidate'`);
    return {
      statuses: new Map(tasks.rows.map((r) => [r.task_hash, r.status])),
      duplicated: new Set(dups.rows.map((r) => r.task_hash)),
      liquidations: Number(slashes.rows[0]?.n ?? 0),
    };
  } finally {
    await client.end();
  }
}

/** The status of one task now, or undefined (not stored, or Postgres not answering). */
export async function taskStatus(databaseUrl: string, taskHash: string): Promise<number | undefined> {
  const client = new Client({
    connectionString: databaseUrl,
    application_name: 'aegis-chaos',
    connectionTimeoutMillis: 2_000,
    query_timeout: 2_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query<{ status: number }>('SELECT status FROM ingress.tasks WHERE task_hash = $1', [taskHash]);
    return r.rows[0]?.status;
  } catch {
    return undefined;
  } finally {
    void client.end().catch(() => undefined);
  }
}
