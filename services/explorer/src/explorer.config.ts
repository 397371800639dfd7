import { commonEnvSchema, env } from '@aegis/config';
import { z } from 'zod';

/** Everything the explorer reads from its environment (docs/conventions.md). */
export const explorerEnvSchema = z.object({
  ...commonEnvSchema.shape,
  AEGIS_DATABASE_URL: env.databaseUrl,
  AEGIS_HTTP_PORT: env.port(8080),
  AEGIS_HTTP_HOST: z.string().min(1, 'must be a listen address').default('0.0.0.0'),
  /** Optional: a model folder (or a folder of them) whose tokenizers decode prompts and answers. */
  AEGIS_MODEL_DIR: z.string().min(1, 'must name a folder holding model.json (or one folder per model)').optional(),
  AEGIS_MIN_STAKE: env.amount(10_000n),
  /** How often the live counters are re-read for the server-sent event stream. */
  AEGIS_EXPLORER_REFRESH_MS: z.coerce
    .number()
    .int()
    .min(100, 'must be at least 100 ms')
    .max(60_000, 'must be at most 60000 ms')
    .default(1_000),
});

export type ExplorerEnv = z.infer<typeof explorerEnvSchema>;

/** What startExplorer needs: the same in a pod (from the environment) and in the devnet. */
export interface ExplorerConfig {
  readonly databaseUrl: string;
  /** 0: any free port. */
  readonly port: number;
  readonly host: string;
  readonly modelDir: string | undefined;
  /** The ledger's AEGIS_MIN_STAKE: stake at which a node counts as active. */
  readonly minStake: bigint;
  readonly refreshMs: number;
  readonly logLevel: string;
}

export function explorerConfigFromEnv(e: ExplorerEnv): ExplorerConfig {
  return {
    databaseUrl: e.AEGIS_DATABASE_URL,
    port: e.AEGIS_HTTP_PORT,
    host: e.AEGIS_HTTP_HOST,
    modelDir: e.AEGIS_MODEL_DIR,
    minStake: e.AEGIS_MIN_STAKE,
    refreshMs: e.AEGIS_EXPLORER_REFRESH_MS,
    logLevel: e.AEGIS_LOG_LEVEL,
  };
}
