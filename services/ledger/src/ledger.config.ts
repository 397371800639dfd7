import { commonEnvSchema, env } from '@aegis/config';
import { z } from 'zod';

/** 10^24 base units: a million tokens of 18 decimals, far above any task fee, far below a stake. */
export const DEFAULT_MAX_ESCROW_FEE = 10n ** 24n;

/** Everything the ledger service reads from its environment (docs/conventions.md). */
export const ledgerEnvSchema = z.object({
  ...commonEnvSchema.shape,
  AEGIS_DATABASE_URL: env.databaseUrl,
  AEGIS_GRPC_PORT: env.port(50052),
  AEGIS_MIN_STAKE: env.amount(10_000n),
  AEGIS_UNBONDING_SECONDS: z.coerce.number().int().min(0, 'must be a non-negative integer').default(604_800),
  /** The largest fee one EscrowFee may lock (base units). */
  AEGIS_MAX_ESCROW_FEE: env.amount(DEFAULT_MAX_ESCROW_FEE),
  /** The devnet faucet (StakeLedger.Deposit); off unless asked for. */
  AEGIS_LEDGER_FAUCET: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
});

export type LedgerEnv = z.infer<typeof ledgerEnvSchema>;

/** What the modules need, independent of where it came from (env in pods, options in the devnet). */
export interface LedgerConfig {
  readonly minStake: bigint;
  readonly unbondingSeconds: number;
  readonly faucet: boolean;
  /** The largest fee one escrow may lock; DEFAULT_MAX_ESCROW_FEE when absent. */
  readonly maxEscrowFee?: bigint;
}

export function ledgerConfigFromEnv(e: LedgerEnv): LedgerConfig {
  return {
    minStake: e.AEGIS_MIN_STAKE,
    unbondingSeconds: e.AEGIS_UNBONDING_SECONDS,
    faucet: e.AEGIS_LEDGER_FAUCET,
    maxEscrowFee: e.AEGIS_MAX_ESCROW_FEE,
  };
}
