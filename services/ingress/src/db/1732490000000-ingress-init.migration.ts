import { migrationSchema } from '@aegis/db';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IngressInit1732490000000 implements MigrationInterface {
  name = 'IngressInit1732490000000';

  async up(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`CREATE TABLE ${s}.tasks (
      task_hash text PRIMARY KEY CHECK (task_hash ~ '^0x[0-9a-f]{64}$'),
      model_id text NOT NULL,
      spec bytea NOT NULL,
      client text NOT NULL CHECK (client ~ '^0x[0-9a-f]{40}$'),
      status smallint NOT NULL,
      status_sequence bigint NOT NULL DEFAULT 0,
      output_tokens int[] NOT NULL DEFAULT '{}',
      fee text NOT NULL,
      submitted_at timestamptz NOT NULL,
      -- When the task last moved (a status change) or was last re-offered: the requeue clock.
      last_activity_at timestamptz NOT NULL,
      requeues int NOT NULL DEFAULT 0
    )`);
    // 1, 2 = TASK_STATUS_QUEUED, TASK_STATUS_SUBMITTED: the tasks the requeue scan looks at.
    await q.query(`CREATE INDEX tasks_open ON ${s}.tasks (last_activity_at) WHERE status IN (1, 2)`);
    await q.query(`CREATE TABLE ${s}.task_status (
      id bigserial PRIMARY KEY,
      task_hash text NOT NULL REFERENCES ${s}.tasks (task_hash),
      sequence bigint NOT NULL,
      status smallint NOT NULL,
      node text,
      detail text NOT NULL DEFAULT '',
      changed_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE UNIQUE INDEX task_status_change ON ${s}.task_status (task_hash, status, sequence)`);
    await q.query(`CREATE TABLE ${s}.outbox (
      id bigserial PRIMARY KEY,
      topic text NOT NULL,
      key text NOT NULL,
      value bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`);
    await q.query(`CREATE INDEX outbox_unsent ON ${s}.outbox (id) WHERE sent_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    await q.query(`DROP TABLE ${s}.outbox`);
    await q.query(`DROP TABLE ${s}.task_status`);
    await q.query(`DROP TABLE ${s}.tasks`);
  }
}
