import type { Address } from '@aegis/protocol';
import type { Command } from 'commander';
import { readDatabaseUrl } from '../cli.env';
import { nodeActivity, type NodeActivity } from '../network/network.status';
import { keystoreAddress, readKeystoreFile } from '../operator/keystore';
import { summarizeNodeEntries } from '../operator/node.summary';
import { DEFAULT_LEDGER, LedgerRefusal, StakeClient, type EntryView } from '../operator/stake.client';
import { formatTokenAmount } from '../operator/token.amount';
import { printJsonResult } from '../output';
import type { RegisterCommand } from './index';

interface StatusOpts {
  key?: string;
  ledger: string;
  url?: string;
  json?: boolean;
}

/** Bound on pages read for one status: 100 pages of 1000 entries. */
const MAX_PAGES = 100;

async function allEntries(client: StakeClient, address: Address): Promise<EntryView[]> {
  const entries: EntryView[] = [];
  let token = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const got = await client.entries(address, 1000, token);
    entries.push(...got.entries);
    if (got.nextPageToken === '') return entries;
    token = got.nextPageToken;
  }
  throw new Error(`entries: more than ${MAX_PAGES * 1000} entries for ${address}; read them with aegis entries --page-token`);
}

/** `aegis node status`: a node's stake and what the ledger says it earned and lost. */
export const registerNodeCommand: RegisterCommand = (parent: Command) => {
  const node = parent.command('node').description("a node operator's node");
  node
    .command('status')
    .description('stake, active and frozen flags, fees and pool rewards earned, stake slashed (from StakeLedger)')
    .argument('[ADDRESS]', "0x address (default: the --key file's)")
    .option('--key <file>', 'keystore file of the node')
    .option('--ledger <host:port>', 'StakeLedger gRPC address (default: the devnet)', DEFAULT_LEDGER)
    .option('--url <postgres-url>', "database for tasks served and verdicts (default: env AEGIS_DATABASE_URL, else the running devnet's; none: those are left out)")
    .option('--json', 'print the result as one JSON object, the last stdout line')
    .action(async (address: string | undefined, opts: StatusOpts) => {
      let who: string | undefined = address?.toLowerCase();
      if (who === undefined && opts.key !== undefined) who = keystoreAddress(readKeystoreFile(opts.key), opts.key);
      if (who === undefined) throw new Error('ADDRESS: give an address or --key <keystore file>');
      const client = new StakeClient(opts.ledger);
      try {
        const account = await client.account(who);
        const earnings = summarizeNodeEntries(account.address, await allEntries(client, account.address));
        // Tasks and verdicts live in the tallier's tables, not the ledger: read them when a database is known.
        const url = readDatabaseUrl(opts.url);
        const activity: NodeActivity | null = url === undefined ? null : await nodeActivity(url, account.address);
        if (opts.json) {
          printJsonResult({ ok: true, account, earnings, activity });
          return;
        }
        const counts = (r: Record<string, number>): string => Object.entries(r).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(', ');
        process.stdout.write(
          [
            `${account.address}  ${account.active ? 'active' : 'inactive (staked below the minimum, or liquidated)'}${account.frozen ? ', frozen (party to an open dispute)' : ''}`,
            `  staked     ${account.tokens.staked} tokens (free ${account.tokens.free}, unbonding ${account.tokens.unbonding})`,
            `  fees       ${formatTokenAmount(earnings.feesEarned)} tokens from ${earnings.feePayouts} payouts`,
            `  pool       ${formatTokenAmount(earnings.poolEarned)} tokens from ${earnings.poolRewards} disputes won`,
            `  slashed    ${formatTokenAmount(earnings.slashed)} tokens in ${earnings.liquidations} liquidations`,
            activity === null
              ? '  tasks      (no database: pass --url or set AEGIS_DATABASE_URL)'
              : `  tasks      ${activity.tasksServedTotal} served (${counts(activity.tasksServed) || 'none'})\n` +
                `  verdicts   ${activity.verdictsTotal} given (${counts(activity.verdicts) || 'none'}), ${activity.verdictsFailedCheck} failed the PoW check`,
          ].join('\n') + '\n',
        );
      } catch (err) {
        if (!(err instanceof LedgerRefusal)) throw err;
        if (opts.json) printJsonResult({ ok: false, status: err.status, error: err.message });
        process.stderr.write(`aegis: ${err.message}\n`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    });
};
