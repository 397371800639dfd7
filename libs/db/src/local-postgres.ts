import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DbError, DbErrorCode } from './db.errors';

const run = promisify(execFile);

/** deploy/local/postgres.sh, the same script CI, tests and operators use. */
export const LOCAL_POSTGRES_SCRIPT = resolve(__dirname, '../../../deploy/local/postgres.sh');

/** Starts the project's local Postgres if it is not running (idempotent) and returns its URL. */
export async function startLocalPostgres(): Promise<string> {
  return localPostgres('start');
}

/** The folder holding the server's binaries (pgbench, psql) of the local Postgres install. */
export async function localPostgresBinDir(): Promise<string> {
  return localPostgres('bindir');
}

async function localPostgres(action: 'start' | 'bindir'): Promise<string> {
  try {
    const { stdout } = await run('bash', [LOCAL_POSTGRES_SCRIPT, action], { maxBuffer: 1 << 20 });
    const line = stdout.trim().split('\n').pop() ?? '';
    if (!line) throw new Error('printed nothing');
    return line;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split('\n').slice(-5).join('\n');
    const reason = stderr || (err instanceof Error ? err.message : String(err));
    throw new DbError(DbErrorCode.LOCAL_POSTGRES_FAILED, 'deploy/local/postgres.sh', `${action} failed: ${reason}`);
  }
}
