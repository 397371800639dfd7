import { CLIENT_IDS, CONSUMER_GROUPS } from '@aegis/contracts';
import { ConfigError, kafkaEnvSchema, loadConfig, withFileVariables } from '@aegis/config';
import { ModelRuntime } from '@aegis/model';
import {
  bootstrapService,
  createLogger,
  kafkaBusFromEnv,
  readinessFromEnv,
  type RunningService,
  type ServiceLaunch,
} from '@aegis/service-kit';
import { chooseAuditShare, requiredAuditShare } from './checking/audit.share';
import { TallierSubmissionLookup } from './checking/tallier-submission.lookup';
import { checkerEnvSchema } from './pow-checker.env';
import { PowCheckerModule } from './pow-checker.module';

/** The PoW checker from its environment: pods (main.ts), the devnet and tests alike. */
export async function start(launch: ServiceLaunch): Promise<RunningService> {
  // AEGIS_CONTROL_ADDRESS_FILE: written by the chart's init container from the control key when no address is configured.
  const cfg = loadConfig(checkerEnvSchema, withFileVariables(launch.env, ['AEGIS_CONTROL_ADDRESS']));
  const logger = launch.logger?.child({ service: 'pow-checker' }) ?? createLogger('pow-checker', cfg.AEGIS_LOG_LEVEL);
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
  return bootstrapService({
    name: 'pow-checker',
    module: PowCheckerModule.forRoot({
      options: {
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
    bus: launch.bus ?? kafkaBusFromEnv(loadConfig(kafkaEnvSchema, launch.env), CLIENT_IDS['pow-checker'], logger),
    ownsBus: launch.bus === undefined,
    ...(launch.host === undefined ? {} : { host: launch.host }),
    grpc: { port: cfg.AEGIS_GRPC_PORT, services: [] },
    metricsPort: launch.noMetrics ? null : cfg.AEGIS_METRICS_PORT,
    readiness: readinessFromEnv(cfg),
    consumer: { groupId: CONSUMER_GROUPS.powChecker },
    ...(launch.handleSignals === undefined ? {} : { handleSignals: launch.handleSignals }),
  });
}
