import { commonEnvSchema, env } from '@aegis/config';
import { z } from 'zod';

/** Everything ingress reads from its environment (docs/conventions.md). */
export const ingressEnvSchema = z.object({
  ...commonEnvSchema.shape,
  AEGIS_DATABASE_URL: env.databaseUrl,
  AEGIS_GRPC_PORT: env.port(50051),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the folder holding model.json (or one folder per model)'),
  AEGIS_LEDGER_URL: z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port of the StakeLedger gRPC server'),
  AEGIS_TASK_FEE: env.amount(1_000n),
  AEGIS_MAX_PROMPT_TOKENS: z.coerce.number().int().positive('must be a positive integer').optional(),
  AEGIS_TASK_REQUEUE_SECONDS: z.coerce.number().int().positive('must be a positive integer').default(120),
  /** SubmitTask/GetTask calls handled at once; more are answered RESOURCE_EXHAUSTED. */
  AEGIS_GRPC_MAX_IN_FLIGHT: z.coerce.number().int('must be an integer').min(1).max(100_000).default(256),
  AEGIS_INSTANCE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label (e.g. the pod name)')
    .default('ingress-0'),
});

export type IngressEnv = z.infer<typeof ingressEnvSchema>;

export interface IngressConfig {
  readonly taskFee: bigint;
  readonly maxPromptTokens: number | undefined;
  /** Names this replica's task-status consumer group. */
  readonly instanceId: string;
  /** Outbox relay: how often, and how old a row must be before the relay (not the request) sends it. */
  readonly relayIntervalMs: number;
  readonly relayMinAgeMs: number;
  /** A QUEUED or SUBMITTED task idle this long is offered to the workers again. */
  readonly requeueAfterMs: number;
}

export function ingressConfigFromEnv(e: IngressEnv): IngressConfig {
  return {
    taskFee: e.AEGIS_TASK_FEE,
    maxPromptTokens: e.AEGIS_MAX_PROMPT_TOKENS,
    instanceId: e.AEGIS_INSTANCE_ID,
    relayIntervalMs: 5_000,
    relayMinAgeMs: 2_000,
    requeueAfterMs: e.AEGIS_TASK_REQUEUE_SECONDS * 1000,
  };
}
