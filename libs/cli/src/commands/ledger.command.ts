import { type Command, InvalidArgumentError } from 'commander';
import { databaseUrlFromEnv } from '../cli.env';
import { refundOrphanEscrows } from '../ledger/escrow.refund';
import { checkLedger, DEFAULT_SCHEMAS } from '../ledger/ledger.check';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

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

/** Where both subcommands find the database and its two schemas. */
function withSchemaOptions(command: Command): Command {
  return command
    .option('--url <postgres-url>', 'database (default: env AEGIS_DATABASE_URL)')
    .option('--ledger-schema <name>', 'the ledger schema', DEFAULT_SCHEMAS.ledger)
    .option('--ingress-schema <name>', 'the ingress schema (tasks)', DEFAULT_SCHEMAS.ingress);
}

/** `aegis ledger ...`: operator checks and repairs on the ledger's Postgres schema. */
export const registerLedgerCommand: RegisterCommand = (parent: Command) => {
  const ledger = parent.command('ledger').description('ledger operations on Postgres');
  withSchemaOptions(
    ledger
      .command('check')
      .description('the invariant: balances sum to minted, none negative, entries reconcile, every escrow belongs to a task in flight'),
  )
    .option('--json', 'print the report as one JSON line')
    .action(async (opts: SchemaOpts) => {
      const report = await checkLedger(urlOf(opts), { ledger: opts.ledgerSchema, ingress: opts.ingressSchema });
      if (opts.json) printJsonResult(report);
      else {
        progress(
          `balances ${report.balances} / minted ${report.minted}; negative ${report.negative.length}; unreconciled ${report.unreconciled.length}`,
        );
        progress(`orphan escrows ${report.orphanEscrows.length}; unpaid escrows ${report.unpaidEscrows.length}`);
        process.stdout.write(`${report.ok ? 'ok' : 'VIOLATED'}\n`);
      }
      // A failed check is a failed command, so scripts and suites can gate on the exit status.
      if (!report.ok) process.exitCode = 1;
    });
  withSchemaOptions(
    ledger
      .command('refund-escrows')
      .description('give back every fee escrowed for a task ingress never stored (idempotent: one transaction per escrow)'),
  )
    .option(
      '--min-age-seconds <n>',
      'only escrows at least this old (a submission in flight escrows before it stores its task)',
      intOption('--min-age-seconds', 0, Number.MAX_SAFE_INTEGER),
      3_600,
    )
    .option('--json', 'print the refunds as one JSON line')
    .action(async (opts: SchemaOpts & { minAgeSeconds: number }) => {
      const refunds = await refundOrphanEscrows(
        urlOf(opts),
        { ledger: opts.ledgerSchema, ingress: opts.ingressSchema },
        { minAgeSeconds: opts.minAgeSeconds },
      );
      const count = (o: string): number => refunds.filter((r) => r.outcome === o).length;
      const summary = { refunded: count('applied'), replayed: count('replayed'), refused: count('refused'), refunds };
      if (opts.json) printJsonResult(summary);
      else process.stdout.write(`refunded ${summary.refunded}, already refunded ${summary.replayed}, refused ${summary.refused}\n`);
      if (summary.refused > 0) process.exitCode = 1;
    });
};
