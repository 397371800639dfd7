import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NodeKey } from '@aegis/protocol';
import type { Command } from 'commander';
import {
  decryptKeystore,
  defaultKeyDir,
  encryptKey,
  ensureKeyDir,
  keystoreAddress,
  listKeystores,
  readKeystoreFile,
  writeKeystoreFile,
} from '../operator/keystore';
import { readPassphrase } from '../operator/passphrase';
import { printJsonResult } from '../output';
import type { RegisterCommand } from './index';

interface NewOpts {
  out?: string;
  dir: string;
  passphraseFile?: string;
  json?: boolean;
}

interface ImportOpts extends NewOpts {
  hexFile: string;
}

interface ShowOpts {
  key: string;
  showPrivateKey?: boolean;
  passphraseFile?: string;
  json?: boolean;
}

interface ListOpts {
  dir: string;
  json?: boolean;
}

async function store(key: NodeKey, opts: NewOpts): Promise<void> {
  const passphrase = await readPassphrase(opts, true);
  let file = opts.out;
  if (file === undefined) {
    ensureKeyDir(opts.dir);
    file = join(opts.dir, `${key.address}.json`);
  }
  writeKeystoreFile(file, await encryptKey(key, passphrase));
  const result = { address: key.address, file: resolve(file) };
  if (opts.json) printJsonResult(result);
  else process.stdout.write(`${result.address}\n  keystore ${result.file} (0600)\n`);
}

/** The first line of a hex key file; a read error names --hex-file. */
function readHexKey(file: string): string {
  try {
    return (readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '').trim();
  } catch (err) {
    throw new Error(`--hex-file: cannot read ${file} (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** `aegis keys new|import|address|show|list`: node operator keys in Web3 Secret Storage v3 keystores. */
export const registerKeysCommand: RegisterCommand = (parent: Command) => {
  const keys = parent
    .command('keys')
    .description(`node operator keys: encrypted keystore files (default folder ${defaultKeyDir()}, or $AEGIS_KEY_DIR)`);
  const passphraseFile = [
    '--passphrase-file <path>',
    'read the passphrase from the first line of this file (else $AEGIS_KEY_PASSPHRASE, else a prompt)',
  ] as const;

  keys
    .command('new')
    .description('make a new secp256k1 key and write its encrypted keystore (0600)')
    .option('--out <file>', 'keystore file to write (default: <dir>/<address>.json)')
    .option('--dir <path>', 'keystore folder', defaultKeyDir())
    .option(...passphraseFile)
    .option('--json', 'print {"address","file"} as the last stdout line')
    .action((opts: NewOpts) => store(NodeKey.generate(), opts));

  keys
    .command('import')
    .description('encrypt an existing hex private key (e.g. a devnet node key) into a keystore')
    .requiredOption('--hex-file <path>', 'file whose first line is the 32-byte private key in hex')
    .option('--out <file>', 'keystore file to write (default: <dir>/<address>.json)')
    .option('--dir <path>', 'keystore folder', defaultKeyDir())
    .option(...passphraseFile)
    .option('--json', 'print {"address","file"} as the last stdout line')
    .action(async (opts: ImportOpts) => {
      await store(NodeKey.fromHex(readHexKey(opts.hexFile)), opts);
    });

  keys
    .command('address')
    .description('the address of a hex private key file (e.g. the control-plane key), without a keystore')
    .requiredOption('--hex-file <path>', 'file whose first line is the 32-byte private key in hex')
    .option('--out <file>', 'also write the address (one line) to this file, e.g. for AEGIS_CONTROL_ADDRESS_FILE')
    .option('--json', 'print {"address"} as the last stdout line')
    .action((opts: { hexFile: string; out?: string; json?: boolean }) => {
      const address = NodeKey.fromHex(readHexKey(opts.hexFile)).address;
      if (opts.out !== undefined) writeFileSync(opts.out, `${address}\n`, { mode: 0o644 });
      if (opts.json) printJsonResult({ address });
      else process.stdout.write(`${address}\n`);
    });

  keys
    .command('show')
    .description("a keystore's address; with --show-private-key also its private key (asks for the passphrase)")
    .requiredOption('--key <file>', 'keystore file')
    .option('--show-private-key', 'decrypt and print the private key (hex): anyone who sees it owns the stake')
    .option(...passphraseFile)
    .option('--json', 'print {"address","file"[,"privateKey"]} as the last stdout line')
    .action(async (opts: ShowOpts) => {
      const json = readKeystoreFile(opts.key);
      const address = keystoreAddress(json, opts.key);
      const result: { address: string; file: string; privateKey?: string } = { address, file: resolve(opts.key) };
      if (opts.showPrivateKey)
        result.privateKey = (await decryptKeystore(json, await readPassphrase(opts, false), opts.key)).privateKeyHex();
      if (opts.json) printJsonResult(result);
      else
        process.stdout.write(
          `${address}\n  keystore ${result.file}${result.privateKey !== undefined ? `\n  private key ${result.privateKey}` : ''}\n`,
        );
    });

  keys
    .command('list')
    .description('the keystores in a folder and their addresses')
    .option('--dir <path>', 'keystore folder', defaultKeyDir())
    .option('--json', 'print {"dir","keys":[...]} as the last stdout line')
    .action((opts: ListOpts) => {
      const found = listKeystores(opts.dir);
      if (opts.json) {
        printJsonResult({ dir: resolve(opts.dir), keys: found });
        return;
      }
      if (found.length === 0) process.stdout.write(`no keystores in ${opts.dir} (make one: aegis keys new)\n`);
      for (const k of found)
        process.stdout.write(`${k.address ?? '(unreadable)'}  ${k.file}${k.error !== undefined ? `  ${k.error}` : ''}\n`);
    });
};
