import { z } from 'zod';
import { AegisError } from '@aegis/protocol';

/** Thrown at start-up when the environment is unusable; names every bad variable at once. */
export class ConfigError extends AegisError<'INVALID_CONFIG'> {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    // The field is the first bad variable; `problems` lists them all.
    super('INVALID_CONFIG', 'invalid', `invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`, {
      field: problems[0]?.variable,
    });
  }
}

/**
 * Validates `env` once against a zod object schema whose keys are the variable names.
 * Services call this in main.ts and refuse to start on failure (docs/conventions.md, Service configuration).
 */
export function loadConfig<S extends z.ZodObject<z.ZodRawShape>>(schema: S, env: Readonly<Record<string, string | undefined>>): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '(env)'), message: issue.message })));
}
