// The only place DataSources are built (plus the stores that own tables) and migrations are run.
export * from './db.errors';
export * from './db.datasource';
export * from './local-postgres';
export * from './pgbench';
export * from './pg.statements';
