import type { OutgoingRecord } from '@aegis/bus';
import type { TaskStatus } from '@aegis/contracts';
import { In, type DataSource } from 'typeorm';
import { TasksRepository, type PendingRecord, type StatusChange, type StoredTask } from '../tasks/tasks.repository';
import { OutboxRow, TaskRow, TaskStatusRow } from './ingress.entities';

/** TasksRepository on Postgres (schema `ingress`, migrated by `aegis db migrate`). */
export class PgTasksRepository extends TasksRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ownsDataSource: boolean,
  ) {
    super();
  }

  async find(taskHash: string): Promise<StoredTask | undefined> {
    const row = await this.dataSource.getRepository(TaskRow).findOneBy({ taskHash });
    return row ? toStoredTask(row) : undefined;
  }

  async insertTask(task: StoredTask, first: StatusChange, outbox: readonly OutgoingRecord[]): Promise<{ created: boolean; pending: PendingRecord[] }> {
    return this.dataSource.transaction(async (em) => {
      const inserted = await em
        .createQueryBuilder()
        .insert()
        .into(TaskRow)
        .values({
          taskHash: task.taskHash,
          modelId: task.modelId,
          spec: Buffer.from(task.spec),
          client: task.client,
          fee: task.fee.toString(),
          status: first.status,
          statusSequence: first.sequence.toString(),
          outputTokens: [],
          submittedAt: task.submittedAt,
          lastActivityAt: task.submittedAt,
        })
        .orIgnore()
        .returning(['taskHash'])
        .execute();
      if (inserted.raw.length === 0) return { created: false, pending: [] };
      await em.getRepository(TaskStatusRow).insert(statusRow(first));
      const rows = await em
        .getRepository(OutboxRow)
        .save(outbox.map((r) => em.getRepository(OutboxRow).create({ topic: r.topic, key: r.key, value: Buffer.from(r.value), sentAt: null })));
      return { created: true, pending: rows.map(toPending) };
    });
  }

  async appendStatus(change: StatusChange): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const inserted: unknown[] = await em.query(
        `INSERT INTO ${this.table('task_status')} (task_hash, sequence, status, node, detail, changed_at)
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM ${this.table('tasks')} WHERE task_hash = $1)
         ON CONFLICT (task_hash, status, sequence) DO NOTHING RETURNING id`,
        [change.taskHash, change.sequence.toString(), change.status, change.node, change.detail, change.changedAt],
      );
      if (inserted.length === 0) return false;
      await em.query(
        `UPDATE ${this.table('tasks')} SET status = $2, status_sequence = $3, last_activity_at = now(),
           output_tokens = CASE WHEN cardinality($4::int[]) > 0 THEN $4::int[] ELSE output_tokens END
         WHERE task_hash = $1 AND status_sequence <= $3`,
        [change.taskHash, change.status, change.sequence.toString(), [...(change.outputTokens ?? [])]],
      );
      return true;
    });
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

  async markSent(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.getRepository(OutboxRow).update({ id: In([...ids]) }, { sentAt: new Date() });
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
    return rows[0].map((r) => ({
      taskHash: String(r.task_hash),
      modelId: String(r.model_id),
      spec: new Uint8Array(r.spec as Buffer),
      client: String(r.client),
      fee: BigInt(String(r.fee)),
      status: Number(r.status) as TaskStatus,
      outputTokens: (r.output_tokens as number[]) ?? [],
      submittedAt: r.submitted_at as Date,
    }));
  }

  async close(): Promise<void> {
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private table(name: string): string {
    const schema = (this.dataSource.options as { schema?: string }).schema ?? 'ingress';
    return `"${schema}"."${name}"`;
  }
}

function toStoredTask(row: TaskRow): StoredTask {
  return {
    taskHash: row.taskHash,
    modelId: row.modelId,
    spec: new Uint8Array(row.spec),
    client: row.client,
    fee: BigInt(row.fee),
    status: row.status as TaskStatus,
    outputTokens: row.outputTokens,
    submittedAt: row.submittedAt,
  };
}

function statusRow(change: StatusChange): Partial<TaskStatusRow> {
  return {
    taskHash: change.taskHash,
    sequence: change.sequence.toString(),
    status: change.status,
    node: change.node,
    detail: change.detail,
    changedAt: change.changedAt,
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
  };
}

function toPending(row: OutboxRow): PendingRecord {
  return { id: row.id, topic: row.topic, key: row.key, value: new Uint8Array(row.value) };
}
