import { type Command, InvalidArgumentError } from 'commander';
import { databaseUrlFromEnv } from '../cli.env';
import { checkLedger, DEFAULT_SCHEMAS } from '../ledger/ledger.check';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';

interface SchemaOpts {
  url?: string;
  ledgerSchema: string;
  ingressSchema: string;
  json?: boolean;
}

function urlOf(opts: SchemaOpts): string {
  const url = opts.url ?? databaseUrlFromEnv();
  if (!url) throw new InvalidArgumentError('--url or AEGIS_DATABASE_URL is required');
  return url;
}

/** `aegis ledger ...`: operator checks and repairs on the ledger's Postgres schema. */
export const registerLedgerCommand: RegisterCommand = (parent: Command) => {
  const ledger = parent.command('ledger').description('ledger operations on Postgres');
  ledger
    .command('check')
    .description('the invariant: balances sum to minted, none negative, entries reconcile, every escrow belongs to a task in flight')
    .option('--url <postgres-url>', 'database (default: env AEGIS_DATABASE_URL)')
    .option('--ledger-schema <name>', 'the ledger schema', DEFAULT_SCHEMAS.ledger)
    .option('--ingress-schema <name>', 'the ingress schema (tasks)', DEFAULT_SCHEMAS.ingress)
    .option('--json', 'print the report as one JSON line')
    .action(async (opts: SchemaOpts) => {
      const report = await checkLedger(urlOf(opts), { ledger: opts.ledgerSchema, ingress: opts.ingressSchema });
      if (opts.json) printJsonResult(report);
      else {
        progress(`balances ${report.balances} / minted ${report.minted}; negative ${report.negative.length}; unreconciled ${report.unreconciled.length}`);
        progress(`orphan escrows ${report.orphanEscrows.length}; unpaid escrows ${report.unpaidEscrows.length}`);
        process.stdout.write(`${report.ok ? 'ok' : 'VIOLATED'}\n`);
      }
      // A failed check is a failed command, so scripts and suites can gate on the exit status.
      if (!report.ok) process.exitCode = 1;
    });
};
