import { commonEnvSchema, env } from '@aegis/config';
import { z } from 'zod';
import { parseAuditSecret } from './checking/audit.sampler';
import { DEFAULT_AUDIT_SHARE_POLICY } from './checking/audit.share';

export const checkerEnvSchema = commonEnvSchema.extend({
  AEGIS_GRPC_PORT: env.port(50055),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the model folder'),
  AEGIS_EXECUTION_PROVIDER: env.executionProvider,
  // Unset: the share requiredAuditShare derives from the fee, the stake and the policy below; set: at least that.
  AEGIS_AUDIT_SHARE: z.coerce.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').optional(),
  AEGIS_MIN_STAKE: env.amount(10_000n),
  // The most one verdict can save a lazy verifier: the task fee (the tallier's AEGIS_TASK_FEE).
  AEGIS_TASK_FEE: env.amount(1_000n),
  AEGIS_AUDIT_SAFETY_FACTOR: z.coerce.number().finite().min(1, 'must be >= 1').default(DEFAULT_AUDIT_SHARE_POLICY.safetyFactor),
  AEGIS_AUDIT_DETECT_WITHIN: env.positiveInt(DEFAULT_AUDIT_SHARE_POLICY.detectWithin),
  AEGIS_AUDIT_MISS_PROBABILITY: z.coerce
    .number()
    .gt(0, 'must be in (0, 1)')
    .lt(1, 'must be in (0, 1)')
    .default(DEFAULT_AUDIT_SHARE_POLICY.missProbability),
  AEGIS_INSTANCE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label')
    .default('pow-checker-0'),
  // Keys the audit choice so verifiers cannot predict it (see checking/audit.sampler.ts); shared by replicas.
  AEGIS_AUDIT_SECRET: z.string().transform((v, ctx) => {
    try {
      return parseAuditSecret(v, 'value');
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }),
  // Signer of the beacon chain: Submissions with a beacon it did not sign are dead-lettered.
  AEGIS_CONTROL_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address (40 hex digits)')
    .transform((a) => a.toLowerCase()),
  // host:port of the tallier's SubmissionQuery, asked on a submission-cache miss (optional: without it a miss is retried, then dead-lettered).
  AEGIS_TALLIER_URL: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'must be host:port')
    .optional(),
});
