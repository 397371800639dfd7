import { readFileSync } from 'node:fs';
import { commonEnvSchema, env, loadConfig } from '@aegis/config';
import { DEFAULT_COMMITTEE_SIZE, DEFAULT_MAX_EXTENSIONS, TALLY_RULES, type TallyRule } from '@aegis/consensus';
import { NodeKey } from '@aegis/protocol';
import { z } from 'zod';
import type { Clock } from './clock';

/** Everything the tallier module needs; the devnet builds it in code, main.ts from the environment. */
export interface TallierOptions {
  /** Signs the beacon chain (AEGIS_CONTROL_KEY_FILE). */
  readonly controlKey: NodeKey;
  /** Names the beacon chain's genesis, so two networks never share beacons. */
  readonly chainId: string;
  readonly windowMs: number;
  /** k: verifiers the lottery targets per submission. */
  readonly verifiersPerTask: number;
  /** Minimum stake that makes a node active (the lottery and the 0.66 * active term). */
  readonly minStake: bigint;
  /** The fee ingress escrows per task; 0 means no fee payout is commanded. */
  readonly taskFee: bigint;
  /** Submitter's share of the fee on an accepted result, basis points. */
  readonly submitterShareBps: number;
  /** The tally rule for new submissions (AEGIS_TALLY; default stake). A submission keeps its own. */
  readonly tally?: TallyRule;
  /** Undecided closes extended before the larger side decides (AEGIS_MAX_EXTENSIONS). */
  readonly maxExtensions?: number;
  /** How often the window clock runs; 0 disables the timer (tests call tick()). */
  readonly tickIntervalMs: number;
  /** How often unsent outbox rows are republished (besides after every commit). */
  readonly relayIntervalMs: number;
  /** Stable per replica (pod name): names this replica's own consumer groups. */
  readonly instanceId: string;
  /** Injected time; the system clock when absent. */
  readonly clock?: Clock;
}

export const DEFAULT_CHAIN_ID = 'aegis';
export const DEFAULT_SUBMITTER_SHARE_BPS = 5_000;

export const tallierEnvSchema = commonEnvSchema.extend({
  AEGIS_DATABASE_URL: env.databaseUrl,
  AEGIS_GRPC_PORT: env.port(50055),
  AEGIS_CONTROL_KEY_FILE: z.string().min(1, 'must name the control-plane key file'),
  AEGIS_WINDOW_SECONDS: env.positiveInt(86_400),
  // The network's k (verifiers and the PoW checker read it from each Submission): sized so that a
  // wrong result passes without a dispute with probability <= 1e-3 per task at a third of the stake.
  AEGIS_VERIFIERS_PER_TASK: env.positiveInt(DEFAULT_COMMITTEE_SIZE),
  AEGIS_MIN_STAKE: env.amount(10_000n),
  AEGIS_TASK_FEE: env.amount(1_000n),
  AEGIS_TALLY: z.enum(TALLY_RULES).default('stake'),
  AEGIS_MAX_EXTENSIONS: z.coerce.number().int('must be an integer').min(0).max(100).default(DEFAULT_MAX_EXTENSIONS),
  AEGIS_CHAIN_ID: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, 'must be 1-64 of [a-z0-9-]')
    .default(DEFAULT_CHAIN_ID),
  AEGIS_INSTANCE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label')
    .default('tallier-0'),
  // The window clock's tick and the outbox relay's period: seconds-long windows (devnet) want short ones.
  AEGIS_TICK_INTERVAL_MS: z.coerce
    .number()
    .int('must be an integer')
    .min(10, 'must be >= 10')
    .max(60_000, 'must be <= 60000')
    .default(1_000),
  AEGIS_RELAY_INTERVAL_MS: z.coerce
    .number()
    .int('must be an integer')
    .min(100, 'must be >= 100')
    .max(600_000, 'must be <= 600000')
    .default(5_000),
});

export type TallierEnv = z.infer<typeof tallierEnvSchema>;

/** Reads a one-key file (hex, optional 0x, surrounding whitespace ignored); errors name the variable. */
export function readKeyFile(path: string, variable: string): NodeKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${variable}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('#'));
  if (line === undefined) throw new Error(`${variable}: ${path} holds no key`);
  try {
    return NodeKey.fromHex(line);
  } catch (e) {
    throw new Error(`${variable}: ${path} does not hold a secp256k1 private key (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function tallierConfigFromEnv(source: Readonly<Record<string, string | undefined>>): { env: TallierEnv; options: TallierOptions } {
  const cfg = loadConfig(tallierEnvSchema, source);
  return {
    env: cfg,
    options: {
      controlKey: readKeyFile(cfg.AEGIS_CONTROL_KEY_FILE, 'AEGIS_CONTROL_KEY_FILE'),
      chainId: cfg.AEGIS_CHAIN_ID,
      windowMs: cfg.AEGIS_WINDOW_SECONDS * 1000,
      verifiersPerTask: cfg.AEGIS_VERIFIERS_PER_TASK,
      minStake: cfg.AEGIS_MIN_STAKE,
      taskFee: cfg.AEGIS_TASK_FEE,
      submitterShareBps: DEFAULT_SUBMITTER_SHARE_BPS,
      tally: cfg.AEGIS_TALLY,
      maxExtensions: cfg.AEGIS_MAX_EXTENSIONS,
      tickIntervalMs: cfg.AEGIS_TICK_INTERVAL_MS,
      relayIntervalMs: cfg.AEGIS_RELAY_INTERVAL_MS,
      instanceId: cfg.AEGIS_INSTANCE_ID,
    },
  };
}
