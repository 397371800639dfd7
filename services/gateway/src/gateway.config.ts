import { commonEnvSchema, env } from '@aegis/config';
import { z } from 'zod';

/** Everything the gateway reads from its environment (docs/conventions.md). */
export const gatewayEnvSchema = z.object({
  ...commonEnvSchema.shape,
  AEGIS_DATABASE_URL: env.databaseUrl,
  /** The OpenAI-compatible HTTP API. */
  AEGIS_HTTP_PORT: env.port(8080),
  /** Health (gRPC), like every service. */
  AEGIS_GRPC_PORT: env.port(50061),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the folder holding model.json (or one folder per model)'),
  AEGIS_INGRESS_URL: z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port of the TaskIngress gRPC server'),
  /** AES-256-GCM key that seals the custodial client keys at rest: 64 hex digits. */
  AEGIS_GATEWAY_MASTER_KEY: z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be 32 bytes as 64 hex digits'),
  AEGIS_GATEWAY_MAX_BODY_BYTES: env.positiveInt(256 * 1024),
  AEGIS_GATEWAY_MAX_PROMPT_TOKENS: env.positiveInt(4096),
  AEGIS_GATEWAY_DEFAULT_MAX_TOKENS: env.positiveInt(64),
  /** Per API key: sustained requests per second and burst (token bucket). */
  AEGIS_GATEWAY_RATE_PER_SECOND: z.coerce.number().positive('must be a positive number').default(20),
  AEGIS_GATEWAY_RATE_BURST: env.positiveInt(40),
  /** How long a request waits for its task to become final before answering 504. */
  AEGIS_GATEWAY_TASK_TIMEOUT_SECONDS: env.positiveInt(120),
});

export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;

export interface GatewayConfig {
  readonly maxBodyBytes: number;
  readonly maxPromptTokens: number;
  readonly defaultMaxTokens: number;
  readonly ratePerSecond: number;
  readonly rateBurst: number;
  readonly taskTimeoutMs: number;
}

export function gatewayConfigFromEnv(e: GatewayEnv): GatewayConfig {
  return {
    maxBodyBytes: e.AEGIS_GATEWAY_MAX_BODY_BYTES,
    maxPromptTokens: e.AEGIS_GATEWAY_MAX_PROMPT_TOKENS,
    defaultMaxTokens: e.AEGIS_GATEWAY_DEFAULT_MAX_TOKENS,
    ratePerSecond: e.AEGIS_GATEWAY_RATE_PER_SECOND,
    rateBurst: e.AEGIS_GATEWAY_RATE_BURST,
    taskTimeoutMs: e.AEGIS_GATEWAY_TASK_TIMEOUT_SECONDS * 1000,
  };
}
