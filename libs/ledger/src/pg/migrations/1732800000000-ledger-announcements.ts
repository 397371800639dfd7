import { migrationSchema } from '@aegis/db';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each applied command's LedgerEvent was published. NULL until the ledger service has
 * announced it; a command left NULL past a grace period (its process died between COMMIT and the
 * publish) is announced again by the service's relay. Commands applied before this migration
 * count as announced. The partial index keeps the relay's scan to the few unannounced rows.
 */
export class LedgerAnnouncements1732800000000 implements MigrationInterface {
  name = 'LedgerAnnouncements1732800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      ALTER TABLE ${s}.commands ADD COLUMN announced_at timestamptz;
      UPDATE ${s}.commands SET announced_at = applied_at;
      CREATE INDEX commands_unannounced ON ${s}.commands (applied_at) WHERE announced_at IS NULL;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`DROP INDEX ${s}.commands_unannounced; ALTER TABLE ${s}.commands DROP COLUMN announced_at;`);
  }
}
