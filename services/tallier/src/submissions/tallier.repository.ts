import type { OutgoingRecord } from '@aegis/bus';
import { signsItself, type BeaconHead, type BeaconLink, type TallyRule } from '@aegis/consensus';
import { fromHex } from '@aegis/protocol';
import { inPipelinedTransaction, type PipelinedTransaction, pipelinedPoolLike, preparedQuery, type Row } from '@aegis/db';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { stateFromJson, stateToJson } from './state.codec';
import type {
  OutboxRow,
  RefusedResult,
  StoredSubmission,
  StoredVerdict,
  SubmissionChange,
  TallierStore,
  TallierTx,
  TaskIntake,
} from './tallier.store';

/** Any constant: the advisory lock that serialises beacon appends across tallier replicas. */
const BEACON_LOCK = 0x7a11_1e5;

/** The submissions columns every read selects, in the order fromRow expects. */
const SUBMISSION_COLUMNS = 'submission_id, task_hash, submitter, phase, closes_at, state, result, beacon, status_seq, last_status';

/** A submissions row as pg returns it (bigint as text, jsonb parsed, bytea as Buffer). */
function fromRow(r: Row): StoredSubmission {
  return {
    submissionId: String(r.submission_id),
    taskHash: String(r.task_hash),
    state: stateFromJson(r.state),
    result: new Uint8Array(r.result as Buffer),
    beacon: r.beacon as BeaconLink,
    statusSeq: Number(r.status_seq),
    lastStatus: Number(r.last_status),
  };
}

/**
 * The tallier's reads and writes inside one transaction. Every statement is a prepared one
 * (parsed and planned once per connection): each task runs the same few statements, and
 * planning them again every time was most of the database's CPU per statement.
 */
class PgTallierTx implements TallierTx {
  constructor(private readonly tx: PipelinedTransaction) {}

  /** A read: sent with the writes queued before it, answered now. */
  private async rows(sql: string, params: readonly unknown[]): Promise<Row[]> {
    const [result] = await this.tx.read({ sql, params: [...params] });
    return result?.rows ?? [];
  }

  /** A write nobody waits on: goes out with the next read or with COMMIT. */
  private write(sql: string, params: readonly unknown[]): void {
    this.tx.write({ sql, params: [...params] });
  }

  async submissionByTask(taskHash: string): Promise<StoredSubmission | undefined> {
    const [row] = await this.rows(`SELECT ${SUBMISSION_COLUMNS} FROM tallier.submissions WHERE task_hash = $1`, [taskHash]);
    return row ? fromRow(row) : undefined;
  }

  async taskIntakes(taskHashes: readonly string[]): Promise<readonly TaskIntake[]> {
    const rows = await this.rows(
      `SELECT EXISTS (SELECT 1 FROM tallier.submissions s WHERE s.task_hash = t.task_hash) AS recorded,
              (SELECT count(*)::int FROM tallier.refused_results r WHERE r.task_hash = t.task_hash) AS refusals
         FROM unnest($1::text[]) WITH ORDINALITY AS t(task_hash, n)
        ORDER BY t.n`,
      [[...taskHashes]],
    );
    if (rows.length !== taskHashes.length) throw new Error(`taskIntakes: ${rows.length} rows for ${taskHashes.length} tasks`);
    return rows.map((row) => ({ recorded: row.recorded === true, refusals: Number(row.refusals) }));
  }

  async lockSubmission(submissionId: string): Promise<StoredSubmission | undefined> {
    const [row] = await this.rows(`SELECT ${SUBMISSION_COLUMNS} FROM tallier.submissions WHERE submission_id = $1 FOR UPDATE`, [
      submissionId,
    ]);
    return row ? fromRow(row) : undefined;
  }

  async lockDue(now: number, limit: number): Promise<StoredSubmission[]> {
    const rows = await this.rows(
      `SELECT ${SUBMISSION_COLUMNS} FROM tallier.submissions
        WHERE phase <> 'decided' AND closes_at <= $1::bigint
        ORDER BY closes_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [String(now), limit],
    );
    return rows.map(fromRow);
  }

  async applyChanges(changes: readonly SubmissionChange[]): Promise<void> {
    if (changes.length === 0) return;
    const ids = changes.map((c) => c.next.submissionId);
    // UPDATE ... FROM picks one arbitrary source row per target: two changes of one submission
    // in a call would lose one silently.
    if (new Set(ids).size !== ids.length) throw new Error('applyChanges: a submission appears twice');
    const records = changes.flatMap((c) => c.records);
    // One statement: every submission row, then the outgoing records in the given order (outbox
    // ids follow it, and the relay publishes by id).
    this.write(
      `WITH changed AS (
         UPDATE tallier.submissions AS s
            SET phase = c.phase, closes_at = c.closes_at, state = c.state, status_seq = c.status_seq, last_status = c.last_status
           FROM unnest($1::varchar[], $2::varchar[], $3::bigint[], $4::jsonb[], $5::int[], $6::smallint[])
                AS c(id, phase, closes_at, state, status_seq, last_status)
          WHERE s.submission_id = c.id AND s.submission_id = ANY($1::varchar[])
       )
       ${outboxInsert(7)}`,
      [
        ids,
        changes.map((c) => c.next.state.phase),
        changes.map((c) => String(c.next.state.closesAt)),
        changes.map((c) => JSON.stringify(stateToJson(c.next.state))),
        changes.map((c) => c.next.statusSeq),
        changes.map((c) => c.next.lastStatus),
        ...outboxColumns(records),
      ],
    );
    // Disputes are rare: a statement each, only when there are some.
    for (const c of changes) {
      const id = c.next.submissionId;
      if (c.disputeOpened) {
        this.write(`INSERT INTO tallier.disputes (dispute_id, accused, opened_at) VALUES ($1, $2, $3::bigint) ON CONFLICT DO NOTHING`, [
          id,
          c.disputeOpened.accused,
          String(c.disputeOpened.at),
        ]);
      }
      if (c.disputeResolved) {
        this.write(`UPDATE tallier.disputes SET outcome = $2, resolved_at = $3::bigint WHERE dispute_id = $1`, [
          id,
          c.disputeResolved.outcome,
          String(c.disputeResolved.at),
        ]);
      }
    }
  }

  async lockBeaconHead(): Promise<BeaconHead | undefined> {
    // Two statements in one round trip. The head read is a statement of its own: the server runs
    // it after the lock is granted, and its snapshot then sees the head the previous holder committed.
    const [, result] = await this.tx.read(
      { sql: 'SELECT pg_advisory_xact_lock($1)', params: [BEACON_LOCK] },
      { sql: 'SELECT index, beacon FROM tallier.beacons ORDER BY index DESC LIMIT 1', params: [] },
    );
    const head = result?.rows[0];
    return head ? { index: Number(head.index), beacon: fromHex(String(head.beacon), 32) } : undefined;
  }

  async recordSubmission(links: readonly BeaconLink[], s: StoredSubmission, records: readonly OutgoingRecord[]): Promise<void> {
    // Data-modifying CTEs all run, in one statement; WITH ORDINALITY keeps the given order
    // (chain links by index anyway, outbox ids as the records were listed).
    this.write(
      `WITH links AS (
         INSERT INTO tallier.beacons (index, prev, submission_digest, beacon, signer, signature)
         SELECT l.index, l.prev, l.digest, l.beacon, l.signer, l.signature
           FROM unnest($1::bigint[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[])
                WITH ORDINALITY AS l(index, prev, digest, beacon, signer, signature, n)
          ORDER BY l.n
       ), submission AS (
         INSERT INTO tallier.submissions (submission_id, task_hash, submitter, phase, closes_at, state, result, beacon, status_seq, last_status, tally)
         VALUES ($7, $8, $9, $10, $11::bigint, $12::jsonb, $13, $14::jsonb, $15, $16, $17)
       )
       ${outboxInsert(18)}`,
      [
        links.map((l) => String(l.index)),
        links.map((l) => l.prev),
        links.map((l) => l.submissionDigest),
        links.map((l) => l.beacon),
        links.map((l) => l.signer),
        // A link sealed by a later one has no signature of its own: the chain's rows lead to it.
        links.map((l) => (signsItself(l) ? l.signature : null)),
        s.submissionId,
        s.taskHash,
        s.state.submitter,
        s.state.phase,
        String(s.state.closesAt),
        JSON.stringify(stateToJson(s.state)),
        Buffer.from(s.result),
        JSON.stringify(s.beacon),
        s.statusSeq,
        s.lastStatus,
        s.state.tally,
        ...outboxColumns(records),
      ],
    );
  }

  async insertVerdict(v: StoredVerdict): Promise<boolean> {
    // RETURNING yields a row only when the insert happened, not on a conflict.
    const rows = await this.rows(
      `INSERT INTO tallier.verdicts (submission_id, verifier, kind, outcome, audited, received_at, verdict)
       VALUES ($1, $2, $3, $4, $5, $6::bigint, $7) ON CONFLICT DO NOTHING RETURNING verifier`,
      [v.submissionId, v.verifier, v.kind, v.outcome, v.audited, String(v.receivedAt), Buffer.from(v.verdict)],
    );
    return rows.length > 0;
  }

  async enqueue(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.write(outboxInsert(1), outboxColumns(records));
  }

  async insertRefusal(r: RefusedResult): Promise<boolean> {
    const rows = await this.rows(
      `INSERT INTO tallier.refused_results (result_digest, task_hash, submitter, reason, result, refused_at)
       VALUES ($1, $2, $3, $4, $5, $6::bigint) ON CONFLICT DO NOTHING RETURNING result_digest`,
      [r.resultDigest, r.taskHash, r.submitter, r.reason, Buffer.from(r.result), String(r.refusedAt)],
    );
    return rows.length > 0;
  }

  async refusalCount(taskHash: string): Promise<number> {
    const [row] = await this.rows('SELECT count(*)::int AS n FROM tallier.refused_results WHERE task_hash = $1', [taskHash]);
    return Number(row?.n ?? 0);
  }
}

/**
 * Outbox rows from the four arrays outboxColumns gives, as parameters `first`..`first + 3`, in
 * the given order (outbox ids follow it, and the relay publishes by id).
 */
function outboxInsert(first: number): string {
  const [topic, key, value, headers] = [first, first + 1, first + 2, first + 3];
  return `INSERT INTO tallier.outbox (topic, key, value, headers)
       SELECT o.topic, o.key, o.value, o.headers
         FROM unnest($${topic}::varchar[], $${key}::varchar[], $${value}::bytea[], $${headers}::jsonb[]) WITH ORDINALITY AS o(topic, key, value, headers, n)
        ORDER BY o.n`;
}

/** The four unnest arrays of outbox rows ($n::varchar[], varchar[], bytea[], jsonb[]). */
function outboxColumns(records: readonly OutgoingRecord[]): unknown[] {
  return [
    records.map((r) => r.topic),
    records.map((r) => r.key),
    records.map((r) => Buffer.from(r.value)),
    records.map((r) => (r.headers ? JSON.stringify(r.headers) : null)),
  ];
}

/** The tallier's Postgres store (schema `tallier`): TypeORM for the schema and transactions, prepared statements inside. */
export class TallierRepository implements TallierStore {
  /**
   * The store's connections, in pg's pipeline mode, sized like the DataSource's pool (whose
   * `extra.max` sets it). TypeORM keeps the schema and migrations; every query runs here.
   */
  private readonly pool: Pool;

  constructor(ds: DataSource) {
    this.pool = pipelinedPoolLike(ds, (ds.options as { extra?: { max?: number } }).extra?.max ?? 10, 'aegis-tallier');
  }

  /**
   * A result is recorded in three round trips ([BEGIN, intake], [beacon lock, head], [insert,
   * COMMIT]) and a tick's closed windows in two, where statement-at-a-time took six and four.
   */
  transaction<T>(fn: (tx: TallierTx) => Promise<T>): Promise<T> {
    return inPipelinedTransaction(this.pool, (tx) => fn(new PgTallierTx(tx)));
  }

  /** Ends the transaction pool (the DataSource is its owner's to destroy). */
  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }

  async submission(submissionId: string): Promise<StoredSubmission | undefined> {
    const { rows } = await preparedQuery(this.pool, `SELECT ${SUBMISSION_COLUMNS} FROM tallier.submissions WHERE submission_id = $1`, [
      submissionId,
    ]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async unsent(limit: number): Promise<OutboxRow[]> {
    const { rows } = await preparedQuery(
      this.pool,
      'SELECT id::text AS id, topic, key, value, headers FROM tallier.outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      record: {
        topic: String(r.topic),
        key: String(r.key),
        value: new Uint8Array(r.value as Buffer),
        ...(r.headers ? { headers: r.headers as Record<string, string> } : {}),
      },
    }));
  }

  async openTallyRules(): Promise<TallyRule[]> {
    const { rows } = await preparedQuery(this.pool, `SELECT DISTINCT tally FROM tallier.submissions WHERE phase <> 'decided'`, []);
    return rows.map((r) => String(r.tally) as TallyRule);
  }

  async markSent(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await preparedQuery(this.pool, 'UPDATE tallier.outbox SET sent_at = now() WHERE id = ANY($1::bigint[])', [[...ids]]);
  }
}
