import { CLIENT_IDS } from '@aegis/contracts';
import { flagsAsEnv, kafkaEnvSchema, loadConfig } from '@aegis/config';
import { ModelRuntime } from '@aegis/model';
import { bootstrapService, createLogger, readinessFromEnv, kafkaBusFromEnv, runServiceMain } from '@aegis/service-kit';
import { otherModelRuntime } from './inference/other-model.runtime';
import { InferenceWorkerModule } from './inference-worker.module';
import { readNodeKeys, workerEnvSchema } from './worker.env';

runServiceMain('inference-worker', async () => {
  // `--behavior <kind>` (demos, tests) stands for AEGIS_BEHAVIOR.
  const env = loadConfig(workerEnvSchema, { ...process.env, ...flagsAsEnv(process.argv.slice(3), { behavior: 'AEGIS_BEHAVIOR' }) });
  const kafka = loadConfig(kafkaEnvSchema, process.env);
  const logger = createLogger('inference-worker', env.AEGIS_LOG_LEVEL);
  const keys = readNodeKeys(env.AEGIS_NODE_KEY_FILE);
  const runner = { executionProvider: env.AEGIS_EXECUTION_PROVIDER };
  const runtime = await ModelRuntime.open(env.AEGIS_MODEL_DIR, runner);
  const otherRuntime = env.AEGIS_BEHAVIOR === 'other-model' ? await otherModelRuntime(runtime, runner) : undefined;
  await bootstrapService({
    name: 'inference-worker',
    module: InferenceWorkerModule.forRoot({
      options: { keys, runtime, behavior: env.AEGIS_BEHAVIOR, instanceId: env.AEGIS_INSTANCE_ID, ...(otherRuntime ? { otherRuntime } : {}) },
      minStake: env.AEGIS_MIN_STAKE,
    }),
    logger,
    bus: kafkaBusFromEnv(kafka, CLIENT_IDS['inference-worker'], logger),
    ownsBus: true,
    grpc: { port: env.AEGIS_GRPC_PORT, services: [] },
    metricsPort: env.AEGIS_METRICS_PORT,
    readiness: readinessFromEnv(env),
    // No `consumer`: TaskIntake joins aegis.inference-worker.v1 itself, only while a node key is active.
  });
  logger.info({ nodes: keys.map((k) => k.address), behavior: env.AEGIS_BEHAVIOR }, 'inference worker ready');
});
