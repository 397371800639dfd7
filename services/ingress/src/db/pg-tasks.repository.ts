import { BatchRunner, type OutgoingRecord, SendCoalescer } from '@aegis/bus';
import type { TaskStatus } from '@aegis/contracts';
import { preparedQuery } from '@aegis/db';
import type { DataSource } from 'typeorm';
import { TasksRepository, type PendingRecord, type StatusChange, type StoredTask } from '../tasks/tasks.repository';
import { OutboxRow, TaskStatusRow } from './ingress.entities';

/** One submission's insert: its task, first status and outbox records. */
interface TaskInsert {
  readonly task: StoredTask;
  readonly first: StatusChange;
  readonly outbox: readonly OutgoingRecord[];
}

interface Inserted {
  readonly created: boolean;
  readonly pending: PendingRecord[];
}

/** Concurrent submissions per find or insert statement. */
const SUBMIT_BATCH = 128;

/**
 * TasksRepository on Postgres (schema `ingress`, migrated by `aegis db migrate`). The statements
 * every task runs (find, insert, status append, mark sent) are prepared once per connection.
 */
export class PgTasksRepository extends TasksRepository {
  /** Concurrent submissions' lookups and inserts share statements (one round trip, one COMMIT). */
  private readonly finds = new BatchRunner<string, StoredTask | undefined>((hashes) => this.findMany(hashes), SUBMIT_BATCH);
  private readonly inserts = new BatchRunner<TaskInsert, Inserted>((batch) => this.insertMany(batch), SUBMIT_BATCH);
  private readonly statusWrites = new SendCoalescer<StatusChange>((changes) => this.appendStatuses(changes), 500);
  private readonly sentMarks = new SendCoalescer<string>(
    (ids) =>
      preparedQuery(this.dataSource, `UPDATE ${this.table('outbox')} SET sent_at = now() WHERE id = ANY($1::bigint[])`, [[...ids]]).then(
        () => undefined,
      ),
    2_000,
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly ownsDataSource: boolean,
  ) {
    super();
  }

  find(taskHash: string): Promise<StoredTask | undefined> {
    return this.finds.run(taskHash);
  }

  private async findMany(hashes: readonly string[]): Promise<(StoredTask | undefined)[]> {
    const { rows } = await preparedQuery(
      this.dataSource,
      `SELECT task_hash, model_id, spec, client, fee, status, output_tokens, submitted_at FROM ${this.table('tasks')} WHERE task_hash = ANY($1::text[])`,
      [[...hashes]],
    );
    const found = new Map(rows.map((r) => [String(r.task_hash), storedTaskOf(r)]));
    return hashes.map((h) => found.get(h));
  }

  /**
   * In one transaction per task: the task, its first status and its outbox rows, or nothing when
   * the task exists already. Submissions that arrive while an insert is in flight share the next
   * statement (insertMany): still all-or-nothing per task, since a task's rows are written only
   * if its task row is, and a failed statement is rerun task by task (BatchRunner).
   */
  insertTask(task: StoredTask, first: StatusChange, outbox: readonly OutgoingRecord[]): Promise<Inserted> {
    return this.inserts.run({ task, first, outbox });
  }

  /**
   * One statement (data-modifying CTEs), hence one atomic transaction and one round trip, for
   * many tasks: each task row unless it exists, and for each task inserted now its first status
   * and its outbox rows. Outbox ids are drawn in the CTE `r` so that each comes back with the
   * task it belongs to. The status rows' foreign key is checked at statement end, after the
   * task rows are in. A task hash twice in one batch is inserted once; the second is answered
   * `created: false`, as a resubmission racing the first would be.
   */
  private async insertMany(batch: readonly TaskInsert[]): Promise<Inserted[]> {
    const first = new Map<string, number>();
    batch.forEach((b, i) => {
      if (!first.has(b.task.taskHash)) first.set(b.task.taskHash, i);
    });
    const items = [...first.values()].map((i) => batch[i] as TaskInsert);
    const records = items.flatMap((b) => b.outbox.map((r) => ({ taskHash: b.task.taskHash, record: r })));
    const { rows } = await preparedQuery<{ task_hash: string; id: string | null; ord: string | null }>(
      this.dataSource,
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::smallint[], $7::bigint[], $8::timestamptz[],
                              $9::text[], $10::text[], $11::timestamptz[])
                WITH ORDINALITY AS i(task_hash, model_id, spec, client, fee, status, sequence, submitted_at, node, detail, changed_at, n)
       ), t AS (
         INSERT INTO ${this.table('tasks')} (task_hash, model_id, spec, client, fee, status, status_sequence, output_tokens, submitted_at, last_activity_at)
         SELECT task_hash, model_id, spec, client, fee, status, sequence, '{}', submitted_at, submitted_at FROM input ORDER BY n
         ON CONFLICT (task_hash) DO NOTHING RETURNING task_hash
       ), s AS (
         INSERT INTO ${this.table('task_status')} (task_hash, sequence, status, node, detail, changed_at)
         SELECT i.task_hash, i.sequence, i.status, i.node, i.detail, i.changed_at FROM input i JOIN t USING (task_hash) ORDER BY i.n
       ), r AS MATERIALIZED (
         SELECT nextval(pg_get_serial_sequence('${this.table('outbox')}', 'id')) AS id, x.*
           FROM (SELECT o.* FROM unnest($12::text[], $13::text[], $14::text[], $15::bytea[]) WITH ORDINALITY AS o(task_hash, topic, key, value, ord)
                  JOIN t USING (task_hash) ORDER BY o.ord) AS x
       ), o AS (
         INSERT INTO ${this.table('outbox')} (id, topic, key, value, sent_at) SELECT id, topic, key, value, NULL FROM r
       )
       SELECT t.task_hash, r.id::text AS id, r.ord::text AS ord FROM t LEFT JOIN r USING (task_hash) ORDER BY r.id`,
      [
        items.map((b) => b.task.taskHash),
        items.map((b) => b.task.modelId),
        items.map((b) => Buffer.from(b.task.spec)),
        items.map((b) => b.task.client),
        items.map((b) => b.task.fee.toString()),
        items.map((b) => b.first.status),
        items.map((b) => b.first.sequence.toString()),
        items.map((b) => b.task.submittedAt),
        items.map((b) => b.first.node),
        items.map((b) => b.first.detail),
        items.map((b) => b.first.changedAt),
        records.map((r) => r.taskHash),
        records.map((r) => r.record.topic),
        records.map((r) => r.record.key),
        records.map((r) => Buffer.from(r.record.value)),
      ],
    );
    const created = new Map<string, PendingRecord[]>();
    for (const row of rows) {
      const pending = created.get(row.task_hash) ?? [];
      created.set(row.task_hash, pending);
      if (row.id === null || row.ord === null) continue;
      const { record } = records[Number(row.ord) - 1] as (typeof records)[number];
      pending.push({ id: row.id, topic: record.topic, key: record.key, value: record.value });
    }
    return batch.map((b, i) => {
      const pending = first.get(b.task.taskHash) === i ? created.get(b.task.taskHash) : undefined;
      return pending ? { created: true, pending } : { created: false, pending: [] };
    });
  }

  /**
   * Status changes arrive from Kafka eight partitions at a time: concurrent appends are merged
   * into one statement while the previous one is in flight (SendCoalescer), and a merged batch
   * that fails is retried change by change, so one bad change fails only its own caller.
   */
  async appendStatus(change: StatusChange): Promise<void> {
    await this.statusWrites.send([change]);
  }

  /**
   * One statement for many changes: each status row once per (task, status, sequence), for
   * known tasks only; then each task whose rows were new moves to the newest of them, when that
   * is newer than its current status.
   */
  private async appendStatuses(changes: readonly StatusChange[]): Promise<void> {
    await preparedQuery(
      this.dataSource,
      `WITH input AS (
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
                AS i(task_hash, sequence, status, node, detail, changed_at, output_tokens)
       ), s AS (
         INSERT INTO ${this.table('task_status')} (task_hash, sequence, status, node, detail, changed_at, output_tokens)
         SELECT i.task_hash, i.sequence, i.status, i.node, i.detail, i.changed_at, i.output_tokens::int[] FROM input i
          WHERE EXISTS (SELECT 1 FROM ${this.table('tasks')} t WHERE t.task_hash = i.task_hash)
         ON CONFLICT (task_hash, status, sequence) DO NOTHING RETURNING task_hash, sequence, status
       ), latest AS (
         SELECT DISTINCT ON (s.task_hash) s.task_hash, s.sequence, s.status, i.output_tokens::int[] AS output_tokens
           FROM s JOIN input i ON i.task_hash = s.task_hash AND i.sequence = s.sequence AND i.status = s.status
          ORDER BY s.task_hash, s.sequence DESC
       )
       UPDATE ${this.table('tasks')} AS t SET status = l.status, status_sequence = l.sequence, last_activity_at = now(),
              -- Only ACCEPTED (5) tokens are the task's output; SUBMITTED's are unverified and live only.
              output_tokens = CASE WHEN l.status = 5 AND cardinality(l.output_tokens) > 0 THEN l.output_tokens ELSE t.output_tokens END
         FROM latest l WHERE t.task_hash = l.task_hash AND t.status_sequence <= l.sequence`,
      [
        changes.map((c) => c.taskHash),
        changes.map((c) => c.sequence.toString()),
        changes.map((c) => c.status),
        changes.map((c) => c.node),
        changes.map((c) => c.detail),
        changes.map((c) => c.changedAt),
        // int[] per row would need a rectangular int[][]: each row's tokens go as an array literal.
        changes.map((c) => `{${(c.outputTokens ?? []).join(',')}}`),
      ],
    );
  }

  async history(taskHash: string): Promise<StatusChange[]> {
    const rows = await this.dataSource.getRepository(TaskStatusRow).find({ where: { taskHash }, order: { sequence: 'ASC', id: 'ASC' } });
    return rows.map(toStatusChange);
  }

  async unsent(minAgeMs: number, limit: number): Promise<PendingRecord[]> {
    const rows = await this.dataSource
      .getRepository(OutboxRow)
      .createQueryBuilder('o')
      .where('o.sent_at IS NULL')
      .andWhere(`o.created_at <= now() - make_interval(secs => :age)`, { age: minAgeMs / 1000 })
      .orderBy('o.id', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map(toPending);
  }

  /** Concurrent submits' marks merge into one UPDATE while the previous one is in flight. */
  async markSent(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sentMarks.send(ids);
  }

  async claimStale(idleMs: number, limit: number): Promise<StoredTask[]> {
    // 1, 2 = TASK_STATUS_QUEUED, TASK_STATUS_SUBMITTED (the partial index tasks_open has the same
    // predicate). SKIP LOCKED: two replicas' relays never re-offer the same task in one pass.
    const rows = (await this.dataSource.query(
      `UPDATE ${this.table('tasks')} SET last_activity_at = now(), requeues = requeues + 1
       WHERE task_hash IN (
         SELECT task_hash FROM ${this.table('tasks')}
         WHERE status IN (1, 2) AND last_activity_at <= now() - make_interval(secs => $1)
         ORDER BY last_activity_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING task_hash, model_id, spec, client, fee, status, output_tokens, submitted_at`,
      [idleMs / 1000, limit],
    )) as [Record<string, unknown>[], number];
    return rows[0].map(storedTaskOf);
  }

  async close(): Promise<void> {
    // Writes accepted before close finish first.
    await Promise.all([this.statusWrites.idle(), this.sentMarks.idle()]);
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private table(name: string): string {
    const schema = (this.dataSource.options as { schema?: string }).schema ?? 'ingress';
    return `"${schema}"."${name}"`;
  }
}

/** A `tasks` row as pg returns it (snake_case columns). */
function storedTaskOf(r: Record<string, unknown>): StoredTask {
  return {
    taskHash: String(r.task_hash),
    modelId: String(r.model_id),
    spec: new Uint8Array(r.spec as Buffer),
    client: String(r.client),
    fee: BigInt(String(r.fee)),
    status: Number(r.status) as TaskStatus,
    outputTokens: (r.output_tokens as number[] | null) ?? [],
    submittedAt: r.submitted_at as Date,
  };
}

function toStatusChange(row: TaskStatusRow): StatusChange {
  return {
    taskHash: row.taskHash,
    sequence: BigInt(row.sequence),
    status: row.status as TaskStatus,
    node: row.node,
    detail: row.detail,
    changedAt: row.changedAt,
    ...(row.outputTokens.length > 0 ? { outputTokens: row.outputTokens } : {}),
  };
}

function toPending(row: OutboxRow): PendingRecord {
  return { id: row.id, topic: row.topic, key: row.key, value: new Uint8Array(row.value) };
}
