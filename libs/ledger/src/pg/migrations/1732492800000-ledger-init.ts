import { migrationSchema } from '@aegis/db';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The ledger's tables. The schema is the DataSource's (`ledger` in production, scratch ones in tests). */
export class LedgerInit1732492800000 implements MigrationInterface {
  name = 'LedgerInit1732492800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    // CHECK constraints repeat the rules' guarantees so that a bug in the code cannot commit
    // a negative balance or an empty entry.
    await queryRunner.query(`
      CREATE TABLE ${s}.accounts (
        id text PRIMARY KEY,
        balance numeric(78,0) NOT NULL,
        CONSTRAINT accounts_balance_non_negative CHECK (balance >= 0)
      );
      CREATE TABLE ${s}.commands (
        key text PRIMARY KEY,
        content_hash text NOT NULL,
        kind text NOT NULL,
        applied_at timestamptz NOT NULL
      );
      CREATE TABLE ${s}.entries (
        id bigserial PRIMARY KEY,
        command_key text NOT NULL REFERENCES ${s}.commands (key),
        account text NOT NULL REFERENCES ${s}.accounts (id),
        amount numeric(78,0) NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT entries_amount_non_zero CHECK (amount <> 0)
      );
      CREATE INDEX entries_command_key_idx ON ${s}.entries (command_key);
      CREATE INDEX entries_account_idx ON ${s}.entries (account);
      CREATE TABLE ${s}.unbonding (
        id text PRIMARY KEY,
        address text NOT NULL,
        amount numeric(78,0) NOT NULL,
        release_at timestamptz NOT NULL,
        CONSTRAINT unbonding_amount_positive CHECK (amount > 0)
      );
      CREATE INDEX unbonding_address_idx ON ${s}.unbonding (address);
      CREATE TABLE ${s}.disputes (
        id text PRIMARY KEY,
        accused text NOT NULL,
        open boolean NOT NULL
      );
      CREATE TABLE ${s}.dispute_parties (
        dispute_id text NOT NULL REFERENCES ${s}.disputes (id),
        address text NOT NULL,
        PRIMARY KEY (dispute_id, address)
      );
      CREATE INDEX dispute_parties_address_idx ON ${s}.dispute_parties (address);
      -- Total minted, spread over 16 rows (summed on read) so concurrent deposits do not queue on one row lock.
      CREATE TABLE ${s}.supply (
        id smallint PRIMARY KEY,
        minted numeric(78,0) NOT NULL,
        CONSTRAINT supply_shard CHECK (id BETWEEN 0 AND 15),
        CONSTRAINT supply_non_negative CHECK (minted >= 0)
      );
      INSERT INTO ${s}.supply (id, minted) SELECT g, 0 FROM generate_series(0, 15) AS g;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const s = migrationSchema(queryRunner);
    await queryRunner.query(`
      DROP TABLE ${s}.supply, ${s}.dispute_parties, ${s}.disputes, ${s}.unbonding, ${s}.entries, ${s}.commands, ${s}.accounts;
    `);
  }
}
