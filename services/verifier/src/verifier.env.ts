import { commonEnvSchema, env } from '@aegis/config';
import { z } from 'zod';

export const verifierEnvSchema = commonEnvSchema.extend({
  AEGIS_GRPC_PORT: env.port(50055),
  AEGIS_NODE_KEY_FILE: z.string().min(1, 'must name the node key file'),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the model folder'),
  AEGIS_EXECUTION_PROVIDER: env.executionProvider,
  AEGIS_MIN_STAKE: env.amount(10_000n),
  AEGIS_INSTANCE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label')
    .default('verifier-0'),
  // Signer of the beacon chain: Submissions with a beacon it did not sign are dead-lettered.
  AEGIS_CONTROL_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address (40 hex digits)')
    .transform((a) => a.toLowerCase()),
});
