import { testDatabaseUrl } from '@aegis/testing';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll } from 'vitest';
import { migrateTallier, tallierDataSource } from '../persistence/tallier.data-source';
import { tallierStoreContract } from '../testing/tallier-store.contract';
import { TallierRepository } from './tallier.repository';

let ds: DataSource;

beforeAll(async () => {
  ds = await tallierDataSource(testDatabaseUrl(), 4).initialize();
  await ds.query('DROP SCHEMA IF EXISTS tallier CASCADE');
  await migrateTallier(ds);
});
afterAll(async () => {
  await ds.destroy();
});

tallierStoreContract('TallierRepository on Postgres', async () => {
  await ds.query(
    'TRUNCATE tallier.outbox, tallier.beacons, tallier.disputes, tallier.verdicts, tallier.submissions, tallier.refused_results',
  );
  return new TallierRepository(ds);
});
