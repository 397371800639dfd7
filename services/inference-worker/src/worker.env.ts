import { readFileSync } from 'node:fs';
import { commonEnvSchema, env } from '@aegis/config';
import { NodeKey } from '@aegis/protocol';
import { z } from 'zod';
import { BEHAVIORS } from './worker.behavior';

export const workerEnvSchema = commonEnvSchema.extend({
  AEGIS_GRPC_PORT: env.port(50055),
  AEGIS_NODE_KEY_FILE: z.string().min(1, 'must name the node key file'),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the model folder'),
  AEGIS_EXECUTION_PROVIDER: env.executionProvider,
  AEGIS_BEHAVIOR: z.enum(BEHAVIORS).default('honest'),
  AEGIS_MIN_STAKE: env.amount(10_000n),
  AEGIS_INSTANCE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label').default('inference-worker-0'),
});

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
