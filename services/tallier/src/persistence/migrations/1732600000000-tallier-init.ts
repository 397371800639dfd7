import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tallier's schema: submissions with their consensus state, verdicts, disputes, the beacon chain, the outbox. */
export class TallierInit1732600000000 implements MigrationInterface {
  name = 'TallierInit1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS tallier`);
    await q.query(`
      CREATE TABLE tallier.submissions (
        submission_id varchar(66) PRIMARY KEY,
        task_hash     varchar(66) NOT NULL UNIQUE,
        submitter     varchar(42) NOT NULL,
        phase         varchar(32) NOT NULL,
        closes_at     bigint      NOT NULL,
        state         jsonb       NOT NULL,
        result        bytea       NOT NULL,
        beacon        jsonb       NOT NULL,
        status_seq    integer     NOT NULL,
        last_status   smallint    NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    // The window clock scans only undecided submissions by close time.
    await q.query(`CREATE INDEX submissions_due ON tallier.submissions (closes_at) WHERE phase <> 'decided'`);
    await q.query(`
      CREATE TABLE tallier.verdicts (
        submission_id varchar(66) NOT NULL REFERENCES tallier.submissions (submission_id),
        verifier      varchar(42) NOT NULL,
        kind          varchar(8)  NOT NULL,
        outcome       smallint    NOT NULL,
        audited       boolean     NOT NULL,
        received_at   bigint      NOT NULL,
        verdict       bytea       NOT NULL,
        PRIMARY KEY (submission_id, verifier)
      )`);
    await q.query(`
      CREATE TABLE tallier.disputes (
        dispute_id  varchar(66) PRIMARY KEY REFERENCES tallier.submissions (submission_id),
        accused     varchar(42) NOT NULL,
        opened_at   bigint      NOT NULL,
        resolved_at bigint,
        outcome     varchar(16)
      )`);
    await q.query(`
      CREATE TABLE tallier.beacons (
        index             bigint       PRIMARY KEY,
        prev              varchar(66)  NOT NULL,
        submission_digest varchar(66)  NOT NULL UNIQUE,
        beacon            varchar(66)  NOT NULL,
        signer            varchar(42)  NOT NULL,
        signature         varchar(132) NOT NULL
      )`);
    await q.query(`
      CREATE TABLE tallier.outbox (
        id         bigserial    PRIMARY KEY,
        topic      varchar(249) NOT NULL,
        key        varchar(200) NOT NULL,
        value      bytea        NOT NULL,
        headers    jsonb,
        created_at timestamptz  NOT NULL DEFAULT now(),
        sent_at    timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unsent ON tallier.outbox (id) WHERE sent_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['outbox', 'beacons', 'disputes', 'verdicts', 'submissions'])
      await q.query(`DROP TABLE IF EXISTS tallier.${table}`);
  }
}
