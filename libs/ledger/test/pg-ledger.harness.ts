import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { LedgerRules } from '../src/core/ledger.rules';
import { migrateLedger, PgLedger, PgLedgerOptions } from '../src/pg/pg.ledger';
import { TEST_RULES } from '../src/testing/ledger.fixtures';
import { testDatabaseUrl } from '@aegis/testing';

export const TEST_DATABASE_URL = testDatabaseUrl();

/** A migrated scratch schema per test: isolation without truncation, and migrations exercised every time. */
export async function scratchSchema(): Promise<{ schema: string; drop: () => Promise<void> }> {
  const schema = `ledger_t_${randomBytes(6).toString('hex')}`;
  const applied = await migrateLedger({ url: TEST_DATABASE_URL, schema });
  if (applied.length === 0) throw new Error('no migration applied to a fresh schema');
  return {
    schema,
    drop: () => admin(async (c) => void (await c.query(`DROP SCHEMA "${schema}" CASCADE`))),
  };
}

export async function openPgLedger(
  schema: string,
  extra: Partial<PgLedgerOptions> = {},
  rules: LedgerRules = TEST_RULES,
): Promise<PgLedger> {
  return PgLedger.connect({ url: TEST_DATABASE_URL, schema, rules, poolSize: 4, ...extra });
}

/** A plain pg connection for what the store must not be trusted to report about itself. */
export async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
