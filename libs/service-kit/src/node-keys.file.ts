import { readFileSync } from 'node:fs';
import { NodeKey } from '@aegis/protocol';

/** One hex secp256k1 key per line ('#' comments and blank lines skipped); errors name the variable and line. */
export function readNodeKeys(path: string, variable = 'AEGIS_NODE_KEY_FILE'): NodeKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${variable}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const keys = text.split('\n').flatMap((raw, i) => {
    const line = raw.trim();
    if (line.length === 0 || line.startsWith('#')) return [];
    try {
      return [NodeKey.fromHex(line)];
    } catch {
      throw new Error(`${variable}: line ${i + 1} of ${path} is not a secp256k1 private key`);
    }
  });
  if (keys.length === 0) throw new Error(`${variable}: ${path} holds no key`);
  return keys;
}
