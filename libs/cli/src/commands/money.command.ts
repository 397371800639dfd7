import { assertAddress, type Address, type NodeKey } from '@aegis/protocol';
import { type Command, InvalidArgumentError } from 'commander';
import { decryptKeystore, keystoreAddress, readKeystoreFile } from '../operator/keystore';
import { readPassphrase } from '../operator/passphrase';
import { DEFAULT_LEDGER, LedgerRefusal, StakeClient, type AccountView } from '../operator/stake.client';
import { formatTokenAmount, parseTokenAmount } from '../operator/token.amount';
import { printJsonResult } from '../output';
import { intOption } from './option.parsers';
import type { RegisterCommand } from './index';

interface LedgerOpts {
  ledger: string;
  json?: boolean;
}
interface KeyOpts extends LedgerOpts {
  key: string;
  passphraseFile?: string;
  idempotencyKey?: string;
}

const withLedger = (cmd: Command): Command =>
  cmd
    .option('--ledger <host:port>', 'StakeLedger gRPC address (default: the devnet)', DEFAULT_LEDGER)
    .option('--json', 'print the result as one JSON object, the last stdout line');

const withKey = (cmd: Command): Command =>
  withLedger(cmd)
    .requiredOption('--key <file>', 'keystore file of the account (aegis keys new)')
    .option('--passphrase-file <path>', 'keystore passphrase file (else $AEGIS_KEY_PASSPHRASE, else a prompt)')
    .option(
      '--idempotency-key <text>',
      'resend a request exactly once: the ledger answers a repeat with its first answer (default: a new one per call)',
    );

async function unlock(opts: KeyOpts): Promise<NodeKey> {
  const json = readKeystoreFile(opts.key);
  return decryptKeystore(json, await readPassphrase(opts, false), opts.key);
}

/** ADDRESS, else the address the --key file names (no passphrase needed to read balances). */
function addressArg(address: string | undefined, keyFile: string | undefined): Address {
  if (address !== undefined) {
    const lower = address.toLowerCase();
    try {
      assertAddress(lower, 'ADDRESS');
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
    return lower;
  }
  if (keyFile !== undefined) return keystoreAddress(readKeystoreFile(keyFile), keyFile);
  throw new InvalidArgumentError('ADDRESS: give an address or --key <keystore file>');
}

function amountArg(text: string): bigint {
  try {
    return parseTokenAmount(text, 'AMOUNT');
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

function describeAccount(a: AccountView): string {
  const lines = [
    `${a.address}  ${a.active ? 'active' : 'inactive'}${a.frozen ? ', frozen (party to an open dispute)' : ''}`,
    `  free      ${a.tokens.free} tokens`,
    `  staked    ${a.tokens.staked} tokens`,
    `  unbonding ${a.tokens.unbonding} tokens`,
    ...a.unbonding.map((u) => `    ${formatTokenAmount(u.amount)} matures at ${u.maturesAt}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Runs `body` against the ledger; a refusal prints (JSON last line with --json) and exits 1. */
async function withClient(opts: LedgerOpts, body: (client: StakeClient) => Promise<void>): Promise<void> {
  const client = new StakeClient(opts.ledger);
  try {
    await body(client);
  } catch (err) {
    if (!(err instanceof LedgerRefusal)) throw err;
    if (opts.json)
      printJsonResult({ ok: false, status: err.status, error: err.message.split('\n')[0], explanation: err.explanation ?? null });
    process.stderr.write(`aegis: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

function moveCommand(name: string, method: 'deposit' | 'stake' | 'request-unstake', description: string): RegisterCommand {
  return (parent: Command) => {
    withKey(
      parent
        .command(name)
        .description(description)
        .argument('<AMOUNT>', 'tokens, whole or fractional (e.g. 10, 0.25; 18 decimals at most)', amountArg),
    ).action((amount: bigint, opts: KeyOpts) =>
      withClient(opts, async (client) => {
        const key = await unlock(opts);
        const done = await client.move(method, key, amount, opts.idempotencyKey);
        if (opts.json)
          printJsonResult({
            ok: true,
            action: method,
            amount,
            amountTokens: formatTokenAmount(amount),
            replayed: done.replayed,
            account: done.account,
          });
        else
          process.stdout.write(
            `${method} ${formatTokenAmount(amount)} tokens${done.replayed ? ' (already applied)' : ''}\n${describeAccount(done.account)}`,
          );
      }),
    );
  };
}

export const registerDepositCommand = moveCommand(
  'deposit',
  'deposit',
  'devnet faucet: mint AMOUNT tokens into your free balance (refused outside a devnet)',
);
export const registerStakeCommand = moveCommand(
  'stake',
  'stake',
  'move AMOUNT tokens from free to stake (active once staked >= the minimum stake)',
);
export const registerUnstakeCommand = moveCommand(
  'unstake',
  'request-unstake',
  'move AMOUNT tokens from stake to unbonding; withdraw them after the unbonding delay',
);

export const registerWithdrawCommand: RegisterCommand = (parent: Command) => {
  withKey(parent.command('withdraw').description('move every matured unbonding tranche to your free balance')).action((opts: KeyOpts) =>
    withClient(opts, async (client) => {
      const done = await client.withdraw(await unlock(opts), opts.idempotencyKey);
      if (opts.json)
        printJsonResult({
          ok: true,
          action: 'withdraw',
          withdrawn: done.withdrawn,
          withdrawnTokens: formatTokenAmount(done.withdrawn),
          replayed: done.replayed,
          account: done.account,
        });
      else process.stdout.write(`withdrew ${formatTokenAmount(done.withdrawn)} tokens\n${describeAccount(done.account)}`);
    }),
  );
};

export const registerAccountCommand: RegisterCommand = (parent: Command) => {
  const account = parent.command('account').description("a node account's balances on StakeLedger");
  withLedger(account.command('show').description('free, staked and unbonding balances, active and frozen flags'))
    .argument('[ADDRESS]', "0x address (default: the --key file's)")
    .option('--key <file>', 'keystore file whose address to show')
    .action((address: string | undefined, opts: LedgerOpts & { key?: string }) =>
      withClient(opts, async (client) => {
        const view = await client.account(addressArg(address, opts.key));
        if (opts.json) printJsonResult({ ok: true, account: view });
        else process.stdout.write(describeAccount(view));
      }),
    );
};

export const registerEntriesCommand: RegisterCommand = (parent: Command) => {
  withLedger(parent.command('entries').description("the ledger entries touching an account's balances, oldest first"))
    .argument('[ADDRESS]', "0x address (default: the --key file's)")
    .option('--key <file>', 'keystore file whose address to list')
    .option('--page-size <n>', 'entries per page', intOption('--page-size', 1, 1000), 100)
    .option('--page-token <token>', 'next page, from a previous answer', '')
    .action((address: string | undefined, opts: LedgerOpts & { key?: string; pageSize: number; pageToken: string }) =>
      withClient(opts, async (client) => {
        const who = addressArg(address, opts.key);
        const page = await client.entries(who, opts.pageSize, opts.pageToken);
        if (opts.json) {
          printJsonResult({ ok: true, address: who, entries: page.entries, nextPageToken: page.nextPageToken });
          return;
        }
        for (const e of page.entries) {
          const mine = e.postings.filter((p) => p.account.endsWith(who));
          process.stdout.write(
            `#${e.sequence} ${e.appliedAt} ${e.kind}  ${mine.map((p) => `${p.account.split(':')[0]} ${p.delta > 0n ? '+' : ''}${formatTokenAmount(p.delta)}`).join(', ')}\n`,
          );
        }
        if (page.nextPageToken !== '') process.stdout.write(`more: --page-token ${page.nextPageToken}\n`);
      }),
    );
};
