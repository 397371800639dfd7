import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export interface PassphraseSource {
  readonly passphraseFile?: string;
}

/**
 * The keystore passphrase, from the first of: --passphrase-file (its first line), $AEGIS_KEY_PASSPHRASE,
 * a prompt on the terminal with echo off (twice when `confirm`, for a new key). Never printed.
 */
export async function readPassphrase(source: PassphraseSource, confirm: boolean, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (source.passphraseFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.passphraseFile, 'utf8');
    } catch (err) {
      throw new Error(`--passphrase-file: cannot read ${source.passphraseFile} (${err instanceof Error ? err.message : String(err)})`);
    }
    const line = text.split(/\r?\n/)[0] ?? '';
    if (line === '') throw new Error(`--passphrase-file: ${source.passphraseFile} has an empty first line`);
    return line;
  }
  const fromEnv = env['AEGIS_KEY_PASSPHRASE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.stdin.isTTY !== true) throw new Error('no passphrase: pass --passphrase-file, set AEGIS_KEY_PASSPHRASE or run on a terminal');
  const first = await prompt('Keystore passphrase: ');
  if (first === '') throw new Error('passphrase: must not be empty');
  if (confirm && (await prompt('Repeat passphrase: ')) !== first) throw new Error('passphrase: the two entries differ');
  return first;
}

/** One line from the terminal without echoing what is typed. */
function prompt(question: string): Promise<string> {
  process.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
