import { localPostgresBinDir, Pgbench, startLocalPostgres } from '@aegis/db';
import { LedgerBench, type LedgerBenchResult } from '@aegis/ledger';
import type { Command } from 'commander';
import { Client } from 'pg';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

interface BenchLedgerOpts {
  url?: string;
  clients: number;
  seconds: number;
  rounds: number;
  nodes: number;
  scale?: number;
  json?: boolean;
}

/**
 * `aegis bench ledger`: ledger commands/s (PgLedger, a realistic mix) vs pgbench tpcb-like TPS,
 * same server, same client count, same run. The two alternate for --rounds rounds and the medians
 * are compared, so a load spike on a shared machine skews both sides rather than one.
 * Goal: ratio >= 0.5 (docs/design.md §5).
 */
export const registerBenchLedgerCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('ledger')
    .description('ledger transactions/s vs pgbench tpcb-like TPS on the same Postgres (starts the local one if needed)')
    .option('--url <postgres-url>', 'server to measure (default: the project local Postgres, started if needed)')
    .option('--clients <n>', 'concurrent connections, for both', intOption('--clients', 1, 256), 8)
    .option('--seconds <n>', 'duration of each measurement', intOption('--seconds', 1, 3_600), 10)
    .option('--rounds <n>', 'alternating ledger/pgbench rounds; medians are reported', intOption('--rounds', 1, 100), 3)
    .option('--nodes <n>', 'staked nodes paid by the fee and dispute flows (fewer = hotter rows)', intOption('--nodes', 4, 100_000), 256)
    .option('--scale <n>', 'pgbench scale factor (default: the client count)', intOption('--scale', 1, 10_000))
    .option('--json', 'progress on stderr, one JSON object as the last stdout line')
    .action(async (opts: BenchLedgerOpts) => {
      const url = opts.url ?? (await startLocalPostgres());
      const binDir = await localPostgresBinDir();
      const scale = opts.scale ?? opts.clients;
      const schema = `ledger_bench_${process.pid}_${Date.now().toString(36)}`;
      progress(`${opts.rounds} rounds of ${opts.seconds}s each, ${opts.clients} clients; ledger schema ${schema}; pgbench -s ${scale}`);
      const ledgerRounds: LedgerBenchResult[] = [];
      const pgbenchRounds: number[] = [];
      const ledger = await LedgerBench.setup({ url, schema, clients: opts.clients, nodes: opts.nodes, onProgress: progress });
      try {
        const pgbench = await Pgbench.init({ url, binDir, clients: opts.clients, scale });
        try {
          for (let r = 1; r <= opts.rounds; r++) {
            // Each side starts right after a checkpoint, so neither pays for the other's dirty pages
            // (pgbench -i alone writes over 100 MB at scale 8).
            await checkpoint(url);
            const l = await ledger.measure(opts.seconds);
            ledgerRounds.push(l);
            await checkpoint(url);
            const p = await pgbench.measure(opts.seconds);
            pgbenchRounds.push(p.tps);
            progress(
              `round ${r}: ledger ${l.tps.toFixed(1)}/s (${l.commands} committed, ${l.refused} refused, ${l.retries} retried), pgbench ${p.tps.toFixed(1)} tps`,
            );
          }
        } finally {
          await pgbench.drop();
        }
      } finally {
        await ledger.close();
        await dropSchema(url, schema);
      }
      const ledgerTps = median(ledgerRounds.map((l) => l.tps));
      const pgbenchTps = median(pgbenchRounds);
      const byKind: Record<string, number> = {};
      for (const l of ledgerRounds) for (const [k, n] of Object.entries(l.byKind)) byKind[k] = (byKind[k] ?? 0) + n;
      const result = {
        ledgerTps: round(ledgerTps),
        pgbenchTps: round(pgbenchTps),
        ratio: round(ledgerTps / pgbenchTps, 3),
        clients: opts.clients,
        seconds: opts.seconds,
        rounds: opts.rounds,
        nodes: opts.nodes,
        pgbenchScale: scale,
        ledgerRoundsTps: ledgerRounds.map((l) => round(l.tps)),
        pgbenchRoundsTps: pgbenchRounds.map((t) => round(t)),
        ledgerCommands: ledgerRounds.reduce((a, l) => a + l.commands, 0),
        ledgerRefused: ledgerRounds.reduce((a, l) => a + l.refused, 0),
        ledgerRetries: ledgerRounds.reduce((a, l) => a + l.retries, 0),
        ledgerCpuMsPerCommand: round(median(ledgerRounds.map((l) => l.cpuMsPerCommand)), 3),
        ledgerByKind: byKind,
      };
      if (opts.json) printJsonResult(result);
      else process.stdout.write(`ledger ${result.ledgerTps} tx/s, pgbench ${result.pgbenchTps} tps, ratio ${result.ratio}\n`);
    });
};

/** CHECKPOINT needs superuser (or pg_checkpoint); on a server where we lack it, measure without. */
async function checkpoint(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } catch (err) {
    progress(`note: CHECKPOINT refused (${err instanceof Error ? err.message : String(err)}); measuring without`);
  } finally {
    await client.end();
  }
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
