import { type Command, InvalidArgumentError } from 'commander';
import { readDatabaseUrl } from '../cli.env';
import { networkStatus, NETWORK_SCHEMAS } from '../network/network.status';
import { formatTokenAmount } from '../operator/token.amount';
import { printJsonResult } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

interface NetworkStatusOpts {
  url?: string;
  minStake: bigint;
  minutes: number;
  liquidations: number;
  ledgerSchema: string;
  ingressSchema: string;
  tallierSchema: string;
  json?: boolean;
}

const baseUnits =
  (flag: string) =>
  (value: string): bigint => {
    if (!/^[0-9]{1,78}$/.test(value)) throw new InvalidArgumentError(`${flag}: expected a whole number of base units`);
    return BigInt(value);
  };

const DEFAULT_MIN_STAKE = 10_000n;

/** `aegis network status`: the whole network at a glance, read-only from Postgres. */
export const registerNetworkCommand: RegisterCommand = (parent: Command) => {
  const network = parent.command('network').description('the network as a whole');
  network
    .command('status')
    .description('active nodes and stake, tasks per minute by status, open disputes, recent liquidations, the ledger invariant')
    .option('--url <postgres-url>', "database (default: env AEGIS_DATABASE_URL, else the running devnet's)")
    .option(
      '--min-stake <base-units>',
      "the ledger's AEGIS_MIN_STAKE: stake at which a node is active",
      baseUnits('--min-stake'),
      DEFAULT_MIN_STAKE,
    )
    .option('--minutes <n>', 'rate window in minutes', intOption('--minutes', 1, 10_080), 10)
    .option('--liquidations <n>', 'how many of the latest liquidations to list', intOption('--liquidations', 0, 1_000), 10)
    .option('--ledger-schema <name>', 'the ledger schema', NETWORK_SCHEMAS.ledger)
    .option('--ingress-schema <name>', 'the ingress schema (tasks)', NETWORK_SCHEMAS.ingress)
    .option('--tallier-schema <name>', 'the tallier schema (verdicts)', NETWORK_SCHEMAS.tallier)
    .option('--json', 'print the status as one JSON object, the last stdout line')
    .action(async (opts: NetworkStatusOpts) => {
      const url = readDatabaseUrl(opts.url);
      if (url === undefined)
        throw new InvalidArgumentError('--url: give a database URL, set AEGIS_DATABASE_URL, or start `aegis devnet` in this folder');
      const status = await networkStatus(
        url,
        { minStake: opts.minStake, windowMinutes: opts.minutes, liquidations: opts.liquidations },
        { ledger: opts.ledgerSchema, ingress: opts.ingressSchema, tallier: opts.tallierSchema },
      );
      if (!status.ledger.ok) process.exitCode = 1;
      if (opts.json) {
        printJsonResult({ ok: status.ledger.ok, ...status });
        return;
      }
      const rates = Object.entries(status.tasksPerMinute).map(([s, n]) => `${s.toLowerCase()} ${n}`);
      const totals = Object.entries(status.tasks).map(([s, n]) => `${s.toLowerCase()} ${n}`);
      const lines = [
        `nodes      ${status.activeNodes} active, ${formatTokenAmount(status.activeStake)} tokens staked`,
        `tasks      ${totals.join(', ') || 'none'}`,
        `per minute ${rates.join(', ') || 'no changes'} (last ${status.windowMinutes} min)`,
        `disputes   ${status.openDisputes.length} open${status.openDisputes.map((d) => `\n  ${d.disputeId} against ${d.accused} (${d.parties} parties)`).join('')}`,
        `liquidated ${status.recentLiquidations.length} recently${status.recentLiquidations
          .map((q) => `\n  ${q.at} ${q.address}: ${formatTokenAmount(q.slashed)} tokens into the pool of ${q.disputeId}`)
          .join('')}`,
        `ledger     ${status.ledger.ok ? 'ok' : 'VIOLATED'} (balances ${status.ledger.balances} / minted ${status.ledger.minted})`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
};
