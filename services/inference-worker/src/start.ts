import { CLIENT_IDS } from '@aegis/contracts';
import { kafkaEnvSchema, loadConfig } from '@aegis/config';
import { ModelRuntime } from '@aegis/model';
import {
  bootstrapService,
  createLogger,
  kafkaBusFromEnv,
  readinessFromEnv,
  readNodeKeys,
  type RunningService,
  type ServiceLaunch,
} from '@aegis/service-kit';
import { TaskIntake } from './inference/task.intake';
import type { ResultProducerFactory } from './inference/result.producer';
import { InferenceWorkerModule } from './inference-worker.module';
import { workerEnvSchema } from './worker.env';

export interface WorkerLaunch extends ServiceLaunch {
  /** How results are made; ASLI generation when absent. The devnet's cheating nodes plug in here. */
  readonly producer?: ResultProducerFactory;
}

export interface RunningWorker extends RunningService {
  /** Resolves the first time the worker joins the task group (one of its keys is staked). */
  readonly joined: Promise<void>;
}

/** The inference worker from its environment: pods (main.ts), the devnet and tests alike. */
export async function start(launch: WorkerLaunch): Promise<RunningWorker> {
  const env = loadConfig(workerEnvSchema, launch.env);
  const logger =
    launch.logger?.child({ service: 'inference-worker', instance: env.AEGIS_INSTANCE_ID }) ??
    createLogger('inference-worker', env.AEGIS_LOG_LEVEL);
  const keys = readNodeKeys(env.AEGIS_NODE_KEY_FILE);
  const runner = { executionProvider: env.AEGIS_EXECUTION_PROVIDER };
  const runtime = await ModelRuntime.open(env.AEGIS_MODEL_DIR, runner);
  const producer = launch.producer ? await launch.producer(runtime, runner) : undefined;
  const service = await bootstrapService({
    name: 'inference-worker',
    module: InferenceWorkerModule.forRoot({
      options: { keys, runtime, instanceId: env.AEGIS_INSTANCE_ID, ...(producer ? { producer } : {}) },
      minStake: env.AEGIS_MIN_STAKE,
    }),
    logger,
    bus: launch.bus ?? kafkaBusFromEnv(loadConfig(kafkaEnvSchema, launch.env), CLIENT_IDS['inference-worker'], logger),
    ownsBus: launch.bus === undefined,
    ...(launch.host === undefined ? {} : { host: launch.host }),
    grpc: { port: env.AEGIS_GRPC_PORT, services: [] },
    metricsPort: launch.noMetrics ? null : env.AEGIS_METRICS_PORT,
    readiness: readinessFromEnv(env),
    ...(launch.handleSignals === undefined ? {} : { handleSignals: launch.handleSignals }),
    // No `consumer`: TaskIntake joins aegis.inference-worker.v1 itself, only while a node key is active.
  });
  logger.info({ nodes: keys.map((k) => k.address), behavior: producer?.behavior ?? 'honest' }, 'inference worker ready');
  return { ...service, joined: service.app.get(TaskIntake).firstJoin };
}
