import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each submission records the tally rule it was opened under (docs/consensus.md, "Tally rule"):
 * `stake` (the default) or `spec`. Rows from before the stake tally were opened under the spec's
 * rule, which is what the column's one-off default says; new rows must name theirs (no default).
 * The same rule is in the state's jsonb (`tally`); the column lets the tallier refuse to start
 * with a config that names another rule than its undecided submissions.
 */
export class TallyRule1733000000000 implements MigrationInterface {
  name = 'TallyRule1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tallier.submissions ADD COLUMN tally varchar(8) NOT NULL DEFAULT 'spec' CHECK (tally IN ('stake', 'spec'))`);
    await q.query(`ALTER TABLE tallier.submissions ALTER COLUMN tally DROP DEFAULT`);
    await q.query(`CREATE INDEX submissions_open_tally ON tallier.submissions (tally) WHERE phase <> 'decided'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX tallier.submissions_open_tally`);
    await q.query(`ALTER TABLE tallier.submissions DROP COLUMN tally`);
  }
}
