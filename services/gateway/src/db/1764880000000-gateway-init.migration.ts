import { migrationSchema } from '@aegis/db';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class GatewayInit1764880000000 implements MigrationInterface {
  name = 'GatewayInit1764880000000';

  async up(q: QueryRunner): Promise<void> {
    const s = migrationSchema(q);
    // The secret is never stored: key_hash is its sha256. sealed_key is the account's secp256k1
    // key under AES-256-GCM (KeyCustody), bound to the account address.
    await q.query(`CREATE TABLE ${s}.api_keys (
      id text PRIMARY KEY CHECK (id ~ '^key_[0-9a-f]{16}$'),
      name text NOT NULL,
      key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
      account text NOT NULL CHECK (account ~ '^0x[0-9a-f]{40}$'),
      sealed_key bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${migrationSchema(q)}.api_keys`);
  }
}
