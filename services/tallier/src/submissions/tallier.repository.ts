import type { OutgoingRecord } from '@aegis/bus';
import type { BeaconHead, BeaconLink } from '@aegis/consensus';
import { fromHex } from '@aegis/protocol';
import type { DataSource, EntityManager } from 'typeorm';
import { BeaconEntity, DisputeEntity, OutboxEntity, RefusedResultEntity, SubmissionEntity, VerdictEntity } from '../persistence/tallier.entities';
import { stateFromJson, stateToJson } from './state.codec';
import type { OutboxRow, RefusedResult, StoredSubmission, StoredVerdict, TallierStore, TallierTx } from './tallier.store';

/** Any constant: the advisory lock that serialises beacon appends across tallier replicas. */
const BEACON_LOCK = 0x7a11_1e5;

function toEntity(s: StoredSubmission): SubmissionEntity {
  const e = new SubmissionEntity();
  e.submissionId = s.submissionId;
  e.taskHash = s.taskHash;
  e.submitter = s.state.submitter;
  e.phase = s.state.phase;
  e.closesAt = s.state.closesAt;
  e.state = stateToJson(s.state);
  e.result = Buffer.from(s.result);
  e.beacon = { ...s.beacon };
  e.statusSeq = s.statusSeq;
  e.lastStatus = s.lastStatus;
  return e;
}

function fromEntity(e: SubmissionEntity): StoredSubmission {
  return {
    submissionId: e.submissionId,
    taskHash: e.taskHash,
    state: stateFromJson(e.state),
    result: new Uint8Array(e.result),
    beacon: e.beacon as unknown as BeaconLink,
    statusSeq: e.statusSeq,
    lastStatus: e.lastStatus,
  };
}

class PgTallierTx implements TallierTx {
  constructor(private readonly m: EntityManager) {}

  async submissionByTask(taskHash: string): Promise<StoredSubmission | undefined> {
    const e = await this.m.findOne(SubmissionEntity, { where: { taskHash } });
    return e ? fromEntity(e) : undefined;
  }

  async taskIntake(taskHash: string): Promise<{ readonly recorded: boolean; readonly refusals: number }> {
    const rows = (await this.m.query(
      `SELECT EXISTS (SELECT 1 FROM tallier.submissions WHERE task_hash = $1) AS recorded,
              (SELECT count(*)::int FROM tallier.refused_results WHERE task_hash = $1) AS refusals`,
      [taskHash],
    )) as { recorded: boolean; refusals: number }[];
    const row = rows[0];
    if (!row) throw new Error('taskIntake: no row');
    return { recorded: row.recorded, refusals: row.refusals };
  }

  async lockSubmission(submissionId: string): Promise<StoredSubmission | undefined> {
    const e = await this.m.findOne(SubmissionEntity, { where: { submissionId }, lock: { mode: 'pessimistic_write' } });
    return e ? fromEntity(e) : undefined;
  }

  async lockDue(now: number, limit: number): Promise<StoredSubmission[]> {
    const rows = await this.m
      .createQueryBuilder(SubmissionEntity, 's')
      .where(`s.phase <> 'decided'`)
      .andWhere('s.closes_at <= :now', { now: String(now) })
      .orderBy('s.closes_at', 'ASC')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    return rows.map(fromEntity);
  }

  async updateSubmission(s: StoredSubmission): Promise<void> {
    const e = toEntity(s);
    await this.m.update(
      SubmissionEntity,
      { submissionId: s.submissionId },
      { phase: e.phase, closesAt: e.closesAt, state: e.state, statusSeq: e.statusSeq, lastStatus: e.lastStatus },
    );
  }

  async lockBeaconHead(): Promise<BeaconHead | undefined> {
    await this.m.query('SELECT pg_advisory_xact_lock($1)', [BEACON_LOCK]);
    const head = await this.m.findOne(BeaconEntity, { where: {}, order: { index: 'DESC' } });
    return head ? { index: head.index, beacon: fromHex(head.beacon, 32) } : undefined;
  }

  async recordSubmission(links: readonly BeaconLink[], s: StoredSubmission, records: readonly OutgoingRecord[]): Promise<void> {
    const e = toEntity(s);
    // Data-modifying CTEs all run, in one statement; WITH ORDINALITY keeps the given order
    // (chain links by index anyway, outbox ids as the records were listed).
    await this.m.query(
      `WITH links AS (
         INSERT INTO tallier.beacons (index, prev, submission_digest, beacon, signer, signature)
         SELECT l.index, l.prev, l.digest, l.beacon, l.signer, l.signature
           FROM unnest($1::bigint[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[])
                WITH ORDINALITY AS l(index, prev, digest, beacon, signer, signature, n)
          ORDER BY l.n
       ), submission AS (
         INSERT INTO tallier.submissions (submission_id, task_hash, submitter, phase, closes_at, state, result, beacon, status_seq, last_status)
         VALUES ($7, $8, $9, $10, $11, $12::jsonb, $13, $14::jsonb, $15, $16)
       )
       INSERT INTO tallier.outbox (topic, key, value, headers)
       SELECT o.topic, o.key, o.value, o.headers
         FROM unnest($17::varchar[], $18::varchar[], $19::bytea[], $20::jsonb[]) WITH ORDINALITY AS o(topic, key, value, headers, n)
        ORDER BY o.n`,
      [
        links.map((l) => String(l.index)),
        links.map((l) => l.prev),
        links.map((l) => l.submissionDigest),
        links.map((l) => l.beacon),
        links.map((l) => l.signer),
        links.map((l) => l.signature),
        e.submissionId,
        e.taskHash,
        e.submitter,
        e.phase,
        String(e.closesAt),
        JSON.stringify(e.state),
        e.result,
        JSON.stringify(e.beacon),
        e.statusSeq,
        e.lastStatus,
        records.map((r) => r.topic),
        records.map((r) => r.key),
        records.map((r) => Buffer.from(r.value)),
        records.map((r) => (r.headers ? JSON.stringify(r.headers) : null)),
      ],
    );
  }

  async insertVerdict(v: StoredVerdict): Promise<boolean> {
    const result = await this.m
      .createQueryBuilder()
      .insert()
      .into(VerdictEntity)
      .values({ ...v, verdict: Buffer.from(v.verdict) })
      .orIgnore()
      // RETURNING yields a row only when the insert happened, not on a conflict.
      .returning('verifier')
      .execute();
    return (result.raw as unknown[]).length > 0;
  }

  async openDispute(disputeId: string, accused: string, at: number): Promise<void> {
    await this.m.createQueryBuilder().insert().into(DisputeEntity).values({ disputeId, accused, openedAt: at }).orIgnore().execute();
  }

  async resolveDispute(disputeId: string, outcome: string, at: number): Promise<void> {
    await this.m.update(DisputeEntity, { disputeId }, { outcome, resolvedAt: String(at) });
  }

  async enqueue(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.m.insert(
      OutboxEntity,
      records.map((r) => ({ topic: r.topic, key: r.key, value: Buffer.from(r.value), headers: r.headers ? { ...r.headers } : null })),
    );
  }

  async insertRefusal(r: RefusedResult): Promise<boolean> {
    const result = await this.m
      .createQueryBuilder()
      .insert()
      .into(RefusedResultEntity)
      .values({ ...r, result: Buffer.from(r.result) })
      .orIgnore()
      .returning('result_digest')
      .execute();
    return (result.raw as unknown[]).length > 0;
  }

  async refusalCount(taskHash: string): Promise<number> {
    return this.m.count(RefusedResultEntity, { where: { taskHash } });
  }
}

/** The tallier's Postgres store (schema `tallier`) on TypeORM. */
export class TallierRepository implements TallierStore {
  constructor(private readonly ds: DataSource) {}

  transaction<T>(fn: (tx: TallierTx) => Promise<T>): Promise<T> {
    // READ COMMITTED, Postgres's default: naming it would cost TypeORM a second round trip
    // (START TRANSACTION, then SET TRANSACTION ISOLATION LEVEL) on every transaction.
    return this.ds.transaction((m) => fn(new PgTallierTx(m)));
  }

  async submission(submissionId: string): Promise<StoredSubmission | undefined> {
    const e = await this.ds.manager.findOne(SubmissionEntity, { where: { submissionId } });
    return e ? fromEntity(e) : undefined;
  }

  async unsent(limit: number): Promise<OutboxRow[]> {
    const rows = await this.ds.manager
      .createQueryBuilder(OutboxEntity, 'o')
      .where('o.sent_at IS NULL')
      .orderBy('o.id', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map((r) => ({
      id: r.id,
      record: { topic: r.topic, key: r.key, value: new Uint8Array(r.value), ...(r.headers ? { headers: r.headers } : {}) },
    }));
  }

  async markSent(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.ds.manager.createQueryBuilder().update(OutboxEntity).set({ sentAt: () => 'now()' }).whereInIds([...ids]).execute();
  }
}
