import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A submission whose committee came out empty gets further beacon links for the same digest
 * (drawCommittee in @aegis/consensus), so submission_digest is no longer unique in the chain.
 */
export class BeaconRedraws1732700000000 implements MigrationInterface {
  name = 'BeaconRedraws1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tallier.beacons DROP CONSTRAINT IF EXISTS beacons_submission_digest_key`);
    await q.query(`CREATE INDEX IF NOT EXISTS beacons_submission_digest ON tallier.beacons (submission_digest, index)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS tallier.beacons_submission_digest`);
    await q.query(`ALTER TABLE tallier.beacons ADD CONSTRAINT beacons_submission_digest_key UNIQUE (submission_digest)`);
  }
}
