import { CLIENT_IDS, CONSUMER_GROUPS } from '@aegis/contracts';
import { commonEnvSchema, ConfigError, env, kafkaEnvSchema, loadConfig, withFileVariables } from '@aegis/config';
import { ModelRuntime } from '@aegis/model';
import { bootstrapService, createLogger, kafkaBusFromEnv, runServiceMain } from '@aegis/service-kit';
import { z } from 'zod';
import { parseAuditSecret } from './checking/audit.sampler';
import { chooseAuditShare, DEFAULT_AUDIT_SHARE_POLICY, requiredAuditShare } from './checking/audit.share';
import { TallierSubmissionLookup } from './checking/tallier-submission.lookup';
import { PowCheckerModule } from './pow-checker.module';

const checkerEnvSchema = commonEnvSchema.extend({
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
  AEGIS_INSTANCE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label').default('pow-checker-0'),
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

runServiceMain('pow-checker', async () => {
  // AEGIS_CONTROL_ADDRESS_FILE: written by the chart's init container from the control key when no address is configured.
  const cfg = loadConfig(checkerEnvSchema, withFileVariables(process.env, ['AEGIS_CONTROL_ADDRESS']));
  const kafka = loadConfig(kafkaEnvSchema, process.env);
  const logger = createLogger('pow-checker', cfg.AEGIS_LOG_LEVEL);
  const required = requiredAuditShare({
    maxSavedPerVerdict: cfg.AEGIS_TASK_FEE,
    minStake: cfg.AEGIS_MIN_STAKE,
    safetyFactor: cfg.AEGIS_AUDIT_SAFETY_FACTOR,
    detectWithin: cfg.AEGIS_AUDIT_DETECT_WITHIN,
    missProbability: cfg.AEGIS_AUDIT_MISS_PROBABILITY,
  });
  let auditShare: number;
  try {
    auditShare = chooseAuditShare(required, cfg.AEGIS_AUDIT_SHARE, 'value');
  } catch (e) {
    throw new ConfigError([{ variable: 'AEGIS_AUDIT_SHARE', message: (e as Error).message.replace(/^value: /, '') }]);
  }
  logger.info({ auditShare, required }, 'audit share');
  const runtime = await ModelRuntime.open(cfg.AEGIS_MODEL_DIR, { executionProvider: cfg.AEGIS_EXECUTION_PROVIDER });
  await bootstrapService({
    name: 'pow-checker',
    module: PowCheckerModule.forRoot({ options: {
        runtime,
        auditShare,
        instanceId: cfg.AEGIS_INSTANCE_ID,
        auditSecret: cfg.AEGIS_AUDIT_SECRET,
        controlAddress: cfg.AEGIS_CONTROL_ADDRESS,
      },
      minStake: cfg.AEGIS_MIN_STAKE,
      ...(cfg.AEGIS_TALLIER_URL ? { submissionLookup: new TallierSubmissionLookup(cfg.AEGIS_TALLIER_URL) } : {}),
    }),
    logger,
    bus: kafkaBusFromEnv(kafka, CLIENT_IDS['pow-checker'], logger),
    ownsBus: true,
    grpc: { port: cfg.AEGIS_GRPC_PORT, services: [] },
    metricsPort: cfg.AEGIS_METRICS_PORT,
    consumer: { groupId: CONSUMER_GROUPS.powChecker },
  });
});
