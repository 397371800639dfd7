import { DataSource, EntitySchema, MigrationInterface, QueryRunner } from 'typeorm';
import { DbError, DbErrorCode } from './db.errors';

// A Postgres identifier we can interpolate without quoting surprises.
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

type EntityRef = string | (new (...args: never[]) => unknown) | EntitySchema;
type MigrationRef = new () => MigrationInterface;

export interface DataSourceConfig {
  /** postgres:// or postgresql:// URL. */
  url: string;
  /** The owning service's schema: its tables and its migrations table live there, nowhere else. */
  schema: string;
  entities: EntityRef[];
  migrations: MigrationRef[];
  /** Connection pool size (10). */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

export function parsePostgresUrl(url: string, field = 'url'): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DbError(DbErrorCode.INVALID_URL, field, 'not a URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DbError(DbErrorCode.INVALID_URL, field, `expected postgres:// or postgresql://, got ${parsed.protocol}//`);
  }
  if (!parsed.hostname) throw new DbError(DbErrorCode.INVALID_URL, field, 'no host');
  return parsed;
}

export function parseSchemaName(schema: string, field = 'schema'): string {
  if (!SCHEMA.test(schema)) throw new DbError(DbErrorCode.INVALID_SCHEMA, field, 'expected [a-z_][a-z0-9_]* (at most 63)');
  return schema;
}

/**
 * The one naming rule for migration histories: `<schema>_migrations`, inside the owner's schema,
 * so two owners' histories never mix and a scratch schema (tests) carries its own.
 */
export function migrationsTableName(schema: string): string {
  return `${parseSchemaName(schema)}_migrations`;
}

/** How long a call waits for a pooled connection before it fails. */
export const POOL_CONNECT_TIMEOUT_MS = 5_000;
/** How long one query may run, seen from the client, before it fails (migrations included). */
export const QUERY_TIMEOUT_MS = 120_000;

/**
 * The one way a DataSource is built in this project. `synchronize` is always off: the schema comes
 * from migrations only, run by `aegis db migrate` (a Helm hook Job), never at service start.
 */
export function buildDataSource(config: DataSourceConfig): DataSource {
  parsePostgresUrl(config.url);
  const schema = parseSchemaName(config.schema);
  const poolSize = config.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1_000) {
    throw new DbError(DbErrorCode.INVALID_URL, 'poolSize', 'expected an integer 1..1000');
  }
  return new DataSource({
    type: 'postgres',
    url: config.url,
    schema,
    entities: config.entities,
    migrations: config.migrations,
    migrationsTableName: migrationsTableName(schema),
    migrationsRun: false,
    synchronize: false,
    logging: false,
    applicationName: config.applicationName ?? `aegis-${schema}`,
    // Deadlines on every database call: waiting for a pooled connection (Postgres down, pool
    // exhausted) and each query on the client side (a partition that leaves a socket open).
    // Either fails the call, which the gRPC layer answers UNAVAILABLE, instead of hanging it.
    extra: { max: poolSize, connectionTimeoutMillis: POOL_CONNECT_TIMEOUT_MS, query_timeout: QUERY_TIMEOUT_MS },
  });
}

/** The schema a migration runs in (the DataSource's), quoted: migrations never hard-code it. */
export function migrationSchema(queryRunner: QueryRunner): string {
  const schema = (queryRunner.connection.options as { schema?: string }).schema;
  if (!schema) throw new DbError(DbErrorCode.INVALID_SCHEMA, 'schema', 'the DataSource has no schema');
  return `"${parseSchemaName(schema)}"`;
}

/**
 * Creates the owner's schema if needed (its migrations table lives in it) and runs pending
 * migrations, each in its own transaction. Returns the names of the migrations applied now.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const initialized = dataSource.isInitialized;
  if (!initialized) await dataSource.initialize();
  try {
    const schema = parseSchemaName((dataSource.options as { schema?: string }).schema ?? '');
    await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    if (!initialized) await dataSource.destroy();
  }
}
