import type { PoolClient, QueryResult } from 'pg';

/** One statement of a batch. With `params` it runs as a named prepared statement. */
export interface Statement {
  sql: string;
  params?: unknown[];
}

export interface Row {
  [column: string]: unknown;
}

const statementNames = new Map<string, string>();

/** A prepared-statement name per distinct SQL text (texts differ per schema, so do names). */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `aegis_ledger_${statementNames.size}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** The socket under a pg client: pg does not expose it, and it is only ever used to cork. */
interface Corkable {
  cork?: () => void;
  uncork?: () => void;
}

function socketOf(client: PoolClient): Corkable | undefined {
  return (client as unknown as { connection?: { stream?: Corkable } }).connection?.stream;
}

/**
 * Sends `statements` on a client in pg's pipeline mode (`pipeline: true` on its pool) without
 * waiting between them, and waits for all of them: one round trip instead of one per statement.
 *
 * The server still runs them one after another, in order, each in its own snapshot (READ
 * COMMITTED), so a statement sees everything that the locks taken by the ones before it guard.
 * Each carries its own Sync, so after a failure the server keeps going, but inside a transaction
 * block every later statement fails with 25P02 (transaction aborted): nothing after a failed
 * statement takes effect, and a COMMIT behind it only ends the failed block (reported as ROLLBACK).
 *
 * pg writes each statement with its own write(2); corking the socket around the batch makes it one
 * writev(2). On a busy machine these system calls were the largest single client-side cost.
 *
 * Throws the first failure in statement order (the cause; later ones are its 25P02 echoes), only
 * after every statement has answered, so that the connection is idle when the caller rolls back.
 */
export async function runBatch(client: PoolClient, statements: readonly Statement[]): Promise<QueryResult<Row>[]> {
  const socket = socketOf(client);
  socket?.cork?.();
  let pending: Promise<QueryResult<Row>>[];
  try {
    pending = statements.map((s) =>
      s.params ? client.query<Row>({ name: statementName(s.sql), text: s.sql, values: s.params }) : client.query<Row>(s.sql),
    );
  } finally {
    socket?.uncork?.();
  }
  const settled = await Promise.allSettled(pending);
  const results: QueryResult<Row>[] = [];
  for (const r of settled) {
    if (r.status === 'rejected') throw r.reason instanceof Error ? r.reason : new Error(String(r.reason));
    results.push(r.value);
  }
  return results;
}
