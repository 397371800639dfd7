import { testDatabaseUrl } from '@aegis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { migrateTallier, TALLIER_MIGRATIONS, tallierDataSource } from './tallier.data-source';

describe('tallier migrations', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = await tallierDataSource(testDatabaseUrl(), 2).initialize();
    await ds.query('DROP SCHEMA IF EXISTS tallier CASCADE');
  });
  afterAll(async () => {
    await ds.destroy();
  });

  const tables = async (): Promise<string[]> =>
    (
      (await ds.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'tallier' AND table_name LIKE '%migrations' ORDER BY 1`,
      )) as { table_name: string }[]
    ).map((r) => r.table_name);

  it('keeps its history in tallier.tallier_migrations and carries over the old tallier.migrations without re-running anything', async () => {
    expect(await migrateTallier(ds)).toHaveLength(TALLIER_MIGRATIONS.length);
    expect(await tables()).toEqual(['tallier_migrations']);
    // A database migrated before the naming rule: the same history under the old name.
    await ds.query('ALTER TABLE tallier.tallier_migrations RENAME TO migrations');
    expect(await migrateTallier(ds)).toEqual([]);
    expect(await tables()).toEqual(['tallier_migrations']);
    expect(await migrateTallier(ds)).toEqual([]);
  });
});
