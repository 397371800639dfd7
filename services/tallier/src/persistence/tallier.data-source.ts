import { buildDataSource, migrationsTableName } from '@aegis/db';
import type { DataSource } from 'typeorm';
import { TallierInit1732600000000 } from './migrations/1732600000000-tallier-init';
import { BeaconRedraws1732700000000 } from './migrations/1732700000000-beacon-redraws';
import { RefusedResults1732800000000 } from './migrations/1732800000000-refused-results';
import { SealedBeacons1732900000000 } from './migrations/1732900000000-sealed-beacons';
import { TallyRule1733000000000 } from './migrations/1733000000000-tally-rule';
import { TALLIER_ENTITIES, TALLIER_SCHEMA } from './tallier.entities';

export const TALLIER_MIGRATIONS = [
  TallierInit1732600000000,
  BeaconRedraws1732700000000,
  RefusedResults1732800000000,
  SealedBeacons1732900000000,
  TallyRule1733000000000,
];
/**
 * The tallier's DataSource, built like every other (libs/db): deadlines on connections and
 * queries, never `synchronize`. `aegis db migrate` and the devnet run TALLIER_MIGRATIONS through
 * migrateTallier; the service itself never migrates at start.
 */
export function tallierDataSource(url: string, poolSize = 10): DataSource {
  return buildDataSource({
    url,
    schema: TALLIER_SCHEMA,
    entities: TALLIER_ENTITIES,
    migrations: TALLIER_MIGRATIONS,
    poolSize,
    applicationName: 'aegis-tallier',
  });
}

/**
 * Applies pending migrations on an initialized DataSource. The tallier once kept its history in
 * `tallier.migrations`; it now follows the project's rule (`tallier.tallier_migrations`, see
 * migrationsTableName), and a database from before is carried over by renaming the table.
 */
export async function migrateTallier(ds: DataSource): Promise<string[]> {
  await ds.query(`CREATE SCHEMA IF NOT EXISTS ${TALLIER_SCHEMA}`);
  await ds.query(`ALTER TABLE IF EXISTS ${TALLIER_SCHEMA}.migrations RENAME TO ${migrationsTableName(TALLIER_SCHEMA)}`);
  return (await ds.runMigrations({ transaction: 'each' })).map((m) => m.name);
}
