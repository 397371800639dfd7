import { DataSource } from 'typeorm';
import { TallierInit1732600000000 } from './migrations/1732600000000-tallier-init';
import { BeaconRedraws1732700000000 } from './migrations/1732700000000-beacon-redraws';
import { RefusedResults1732800000000 } from './migrations/1732800000000-refused-results';
import { SealedBeacons1732900000000 } from './migrations/1732900000000-sealed-beacons';
import { TallyRule1733000000000 } from './migrations/1733000000000-tally-rule';
import { TALLIER_ENTITIES, TALLIER_SCHEMA } from './tallier.entities';

export const TALLIER_MIGRATIONS = [TallierInit1732600000000, BeaconRedraws1732700000000, RefusedResults1732800000000, SealedBeacons1732900000000, TallyRule1733000000000];
/** The tallier's own migrations table, inside its schema, so owners never share migration history. */
export const TALLIER_MIGRATIONS_TABLE = 'migrations';

/**
 * The tallier's DataSource options (never `synchronize`): `aegis db migrate` and the devnet
 * run TALLIER_MIGRATIONS through migrateTallier; the service itself never migrates at start.
 */
export function tallierDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    schema: TALLIER_SCHEMA,
    entities: TALLIER_ENTITIES,
    migrations: TALLIER_MIGRATIONS,
    migrationsTableName: TALLIER_MIGRATIONS_TABLE,
    synchronize: false,
    extra: { max: poolSize },
  });
}

/** Creates the schema (the migrations table lives in it) and applies pending migrations. */
export async function migrateTallier(ds: DataSource): Promise<void> {
  await ds.query(`CREATE SCHEMA IF NOT EXISTS ${TALLIER_SCHEMA}`);
  await ds.runMigrations({ transaction: 'each' });
}
