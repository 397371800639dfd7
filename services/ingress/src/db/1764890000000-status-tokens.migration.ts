import { migrationSchema } from '@aegis/db';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The result tokens a status change carried (SUBMITTED: the node's, unverified; ACCEPTED: the
 * output), kept with the change so a watcher that starts after SUBMITTED still gets them from
 * the history (an HTTP client streaming the answer). tasks.output_tokens stays ACCEPTED-only.
 */
export class StatusTokens1764890000000 implements MigrationInterface {
  name = 'StatusTokens1764890000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${migrationSchema(q)}.task_status ADD COLUMN output_tokens int[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${migrationSchema(q)}.task_status DROP COLUMN output_tokens`);
  }
}
