import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Correctly signed results the tallier refused to count (the submitter was not active, e.g.
 * liquidated while its result was in flight). Kept for the record; the task was re-offered.
 */
export class RefusedResults1732800000000 implements MigrationInterface {
  name = 'RefusedResults1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS tallier.refused_results (
        result_digest varchar(66) PRIMARY KEY,
        task_hash     varchar(66) NOT NULL,
        submitter     varchar(42) NOT NULL,
        reason        varchar(32) NOT NULL,
        result        bytea       NOT NULL,
        refused_at    bigint      NOT NULL
      )`);
    await q.query(`CREATE INDEX IF NOT EXISTS refused_results_task ON tallier.refused_results (task_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS tallier.refused_results`);
  }
}
