import { CLIENT_IDS, CONSUMER_GROUPS } from '@aegis/contracts';
import { commonEnvSchema, env, kafkaEnvSchema, loadConfig } from '@aegis/config';
import { ModelRuntime } from '@aegis/model';
import { bootstrapService, createLogger, kafkaBusFromEnv, runServiceMain } from '@aegis/service-kit';
import { z } from 'zod';
import { PowCheckerModule } from './pow-checker.module';

const checkerEnvSchema = commonEnvSchema.extend({
  AEGIS_GRPC_PORT: env.port(50055),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the model folder'),
  AEGIS_EXECUTION_PROVIDER: env.executionProvider,
  AEGIS_AUDIT_SHARE: z.coerce.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]').default(0.25),
  AEGIS_MIN_STAKE: env.amount(10_000n),
  AEGIS_INSTANCE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label').default('pow-checker-0'),
});

runServiceMain('pow-checker', async () => {
  const cfg = loadConfig(checkerEnvSchema, process.env);
  const kafka = loadConfig(kafkaEnvSchema, process.env);
  const logger = createLogger('pow-checker', cfg.AEGIS_LOG_LEVEL);
  const runtime = await ModelRuntime.open(cfg.AEGIS_MODEL_DIR, { executionProvider: cfg.AEGIS_EXECUTION_PROVIDER });
  await bootstrapService({
    name: 'pow-checker',
    module: PowCheckerModule.forRoot({ options: { runtime, auditShare: cfg.AEGIS_AUDIT_SHARE, instanceId: cfg.AEGIS_INSTANCE_ID }, minStake: cfg.AEGIS_MIN_STAKE }),
    logger,
    bus: kafkaBusFromEnv(kafka, CLIENT_IDS['pow-checker'], logger),
    ownsBus: true,
    grpc: { port: cfg.AEGIS_GRPC_PORT, services: [] },
    metricsPort: cfg.AEGIS_METRICS_PORT,
    consumer: { groupId: CONSUMER_GROUPS.powChecker },
  });
});
