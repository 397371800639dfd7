import { readFileSync } from 'node:fs';
import { runMigrations } from '@aegis/db';
import { NodeKey } from '@aegis/protocol';
import { type Command, InvalidArgumentError } from 'commander';
import { createApiKey, gatewayDataSource, KeyCustody, PgApiKeyStore, viewOf } from '@aegis/services/gateway';
import { databaseUrlFromEnv } from '../cli.env';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';

interface DbOpts {
  url?: string;
  json?: boolean;
}

interface CreateOpts extends DbOpts {
  name: string;
  masterKeyFile?: string;
  clientKeyFile?: string;
}

async function withStore<T>(opts: DbOpts, run: (store: PgApiKeyStore) => Promise<T>): Promise<T> {
  const url = opts.url ?? databaseUrlFromEnv();
  if (!url) throw new InvalidArgumentError('--url or AEGIS_DATABASE_URL is required');
  const dataSource = gatewayDataSource(url, { poolSize: 1 });
  // The table is the gateway's: migrating here makes the command usable before the first deploy.
  await runMigrations(dataSource);
  await dataSource.initialize();
  const store = new PgApiKeyStore(dataSource, true);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

/** The master key: --master-key-file, else AEGIS_GATEWAY_MASTER_KEY (the gateway's own variable). */
function custodyFrom(opts: CreateOpts): KeyCustody {
  const hex = opts.masterKeyFile !== undefined ? readFileSync(opts.masterKeyFile, 'utf8').trim() : process.env['AEGIS_GATEWAY_MASTER_KEY'];
  if (!hex)
    throw new InvalidArgumentError('--master-key-file or AEGIS_GATEWAY_MASTER_KEY is required (the gateway seals client keys with it)');
  try {
    return new KeyCustody(hex);
  } catch (err) {
    throw new InvalidArgumentError(
      `${opts.masterKeyFile !== undefined ? '--master-key-file' : 'AEGIS_GATEWAY_MASTER_KEY'}: ${err instanceof Error ? err.message.replace(/^master key: /, '') : String(err)}`,
    );
  }
}

/** `aegis api-keys create|list|revoke`: the gateway's API keys, each mapped to a custodial client account. */
export const registerApiKeysCommand: RegisterCommand = (parent: Command) => {
  const keys = parent
    .command('api-keys')
    .description("the HTTP gateway's API keys (stored as sha256; each maps to a client account whose key the gateway holds)");
  keys
    .command('create')
    .description('create an API key for a new client account (or --client-key-file: an existing one); prints the secret once')
    .requiredOption('--name <name>', 'a label (who or what uses the key)')
    .option('--client-key-file <path>', 'hex secp256k1 key of an existing client account to put in custody (default: a new account)')
    .option('--master-key-file <path>', 'the gateway master key (64 hex digits); default env AEGIS_GATEWAY_MASTER_KEY')
    .option('--url <postgres-url>', 'database (default: env AEGIS_DATABASE_URL)')
    .option('--json', 'print the result as one JSON line')
    .action(async (opts: CreateOpts) => {
      const custody = custodyFrom(opts);
      let key: NodeKey | undefined;
      if (opts.clientKeyFile !== undefined) {
        try {
          key = NodeKey.fromHex(readFileSync(opts.clientKeyFile, 'utf8').trim());
        } catch (err) {
          throw new InvalidArgumentError(
            `--client-key-file: cannot use ${opts.clientKeyFile} (${err instanceof Error ? err.message : String(err)})`,
          );
        }
      }
      const created = await withStore(opts, (store) =>
        createApiKey(store, custody, opts.name, key).catch((err: unknown) => {
          if (err instanceof RangeError) throw new InvalidArgumentError(`--${err.message}`);
          throw err;
        }),
      );
      progress(`api key ${created.id} for account ${created.account}: fund it with \`aegis deposit\` from that account's key, or a faucet`);
      if (opts.json) printJsonResult(created);
      else process.stdout.write(`${created.secret}\nid ${created.id} account ${created.account}\n`);
    });
  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--url <postgres-url>', 'database (default: env AEGIS_DATABASE_URL)')
    .option('--json', 'print the result as one JSON line')
    .action(async (opts: DbOpts) => {
      const views = await withStore(opts, async (store) => (await store.list()).map(viewOf));
      if (opts.json) printJsonResult({ keys: views });
      else
        for (const v of views)
          process.stdout.write(`${v.id}  ${v.account}  ${v.revokedAt ? `revoked ${v.revokedAt}` : 'active'}  ${v.name}\n`);
    });
  keys
    .command('revoke')
    .description('revoke an API key (gateways stop accepting it within their 5 s lookup cache)')
    .argument('<id>', 'the key id (key_...)')
    .option('--url <postgres-url>', 'database (default: env AEGIS_DATABASE_URL)')
    .option('--json', 'print the result as one JSON line')
    .action(async (id: string, opts: DbOpts) => {
      if (!/^key_[0-9a-f]{16}$/.test(id))
        throw new InvalidArgumentError('<id>: expected key_ and 16 hex digits (see `aegis api-keys list`)');
      const found = await withStore(opts, (store) => store.revoke(id, new Date()));
      if (!found) throw new InvalidArgumentError(`<id>: no API key ${id}`);
      if (opts.json) printJsonResult({ id, revoked: true });
      else process.stdout.write(`${id} revoked\n`);
    });
};
