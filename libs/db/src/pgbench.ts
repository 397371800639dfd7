import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { parsePostgresUrl } from './db.datasource';
import { DbError, DbErrorCode } from './db.errors';

const run = promisify(execFile);

export interface PgbenchOptions {
  /** The server to measure (the URL's database is only used to create the scratch one). */
  url: string;
  /** Folder holding the pgbench binary. */
  binDir: string;
  clients: number;
  /** Scale factor; pgbench's docs advise at least the client count (else one branch row serialises everything). */
  scale: number;
  /** Scratch database, dropped and recreated (`aegis_pgbench`). */
  database?: string;
}

export interface PgbenchResult {
  tps: number;
  transactions: number;
}

/** pgbench's built-in tpcb-like script against a scratch database of the same server. */
export class Pgbench {
  private constructor(
    private readonly options: PgbenchOptions,
    private readonly database: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly conn: string[],
  ) {}

  /** Recreates the scratch database and runs `pgbench -i -s scale`. */
  static async init(options: PgbenchOptions): Promise<Pgbench> {
    const url = parsePostgresUrl(options.url);
    const database = options.database ?? 'aegis_pgbench';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new DbError(DbErrorCode.INVALID_SCHEMA, 'database', 'expected a plain identifier');
    await adminQuery(options.url, [`DROP DATABASE IF EXISTS ${database}`, `CREATE DATABASE ${database}`]);
    const env = { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) };
    const conn = ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username) || 'postgres'];
    const bench = new Pgbench(options, database, env, conn);
    await bench.pgbench(['-i', '-q', '-s', String(options.scale)]);
    return bench;
  }

  /** `pgbench -b tpcb-like -c clients -j clients -T seconds`; TPS without connection time. */
  async measure(seconds: number): Promise<PgbenchResult> {
    const c = String(this.options.clients);
    const stdout = await this.pgbench(['-b', 'tpcb-like', '-n', '-c', c, '-j', c, '-T', String(seconds)]);
    const tps = /tps = ([0-9.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    const transactions = /number of transactions actually processed: ([0-9]+)/.exec(stdout)?.[1];
    if (!tps || !transactions) throw new Error(`unexpected pgbench output:\n${stdout}`);
    return { tps: Number(tps), transactions: Number(transactions) };
  }

  async drop(): Promise<void> {
    await adminQuery(this.options.url, [`DROP DATABASE IF EXISTS ${this.database}`]);
  }

  private async pgbench(args: string[]): Promise<string> {
    const { stdout } = await run(join(this.options.binDir, 'pgbench'), [...args, ...this.conn, this.database], {
      env: this.env,
      maxBuffer: 16 << 20,
    });
    return stdout;
  }
}

async function adminQuery(url: string, statements: string[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}
