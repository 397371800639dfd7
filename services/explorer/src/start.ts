import { loadConfig } from '@aegis/config';
import type { Logger } from 'pino';
import { explorerConfigFromEnv, explorerEnvSchema } from './explorer.config';
import { startExplorer, type RunningExplorer } from './explorer.app';

/** The explorer from its environment (the pod's main.ts). */
export async function start(env: Readonly<Record<string, string | undefined>>, logger?: Logger): Promise<RunningExplorer> {
  return startExplorer(explorerConfigFromEnv(loadConfig(explorerEnvSchema, env)), logger);
}
