import { z } from 'zod';

/** Reusable validators for environment variables (all arrive as strings). */
export const env = {
  port: (fallback: number) =>
    z.coerce.number().int().min(1, 'must be a TCP port (1-65535)').max(65535, 'must be a TCP port (1-65535)').default(fallback),
  positiveInt: (fallback: number) => z.coerce.number().int().positive('must be a positive integer').default(fallback),
  /** Integer base units of money; kept as bigint. */
  amount: (fallback: bigint) =>
    z
      .string()
      .regex(/^[0-9]{1,78}$/, 'must be a non-negative integer of at most 78 digits')
      .transform((s) => BigInt(s))
      .default(fallback),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  brokers: z
    .string()
    .min(1, 'must list at least one host:port')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b.length > 0),
    )
    .refine(
      (list) => list.length > 0 && list.every((b) => /^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(b)),
      'must be comma-separated host:port entries',
    ),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  executionProvider: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
};

/** Variables every service reads. */
export const commonEnvSchema = z.object({
  AEGIS_LOG_LEVEL: env.logLevel,
  AEGIS_METRICS_PORT: env.port(9464),
  /** The readiness watchdog: exit after this many seconds not ready (0: never). */
  AEGIS_NOT_READY_EXIT_SECONDS: z.coerce.number().int('must be whole seconds').min(0).max(86_400).default(120),
});
