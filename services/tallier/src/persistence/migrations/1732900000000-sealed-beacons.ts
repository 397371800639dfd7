import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Beacon links recorded together are sealed together (docs/consensus.md, "Sealed runs"): only the
 * last link of each run carries a signature; the others are vouched for by it through the chain
 * (the rows after them up to the next signed row), so their signature column is NULL.
 */
export class SealedBeacons1732900000000 implements MigrationInterface {
  name = 'SealedBeacons1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tallier.beacons ALTER COLUMN signature DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Unsealed rows have no signature of their own to put back: they go with their runs' seals.
    await q.query(`DELETE FROM tallier.beacons WHERE signature IS NULL`);
    await q.query(`ALTER TABLE tallier.beacons ALTER COLUMN signature SET NOT NULL`);
  }
}
