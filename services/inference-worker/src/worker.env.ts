import { commonEnvSchema, env } from '@aegis/config';
import { z } from 'zod';

export const workerEnvSchema = commonEnvSchema.extend({
  AEGIS_GRPC_PORT: env.port(50055),
  AEGIS_NODE_KEY_FILE: z.string().min(1, 'must name the node key file'),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the model folder'),
  AEGIS_EXECUTION_PROVIDER: env.executionProvider,
  AEGIS_MIN_STAKE: env.amount(10_000n),
  AEGIS_INSTANCE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label')
    .default('inference-worker-0'),
});
