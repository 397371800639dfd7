import { CLIENT_IDS } from '@aegis/contracts';
import { kafkaEnvSchema, loadConfig, withFileVariables } from '@aegis/config';
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
import type { VerdictMakerFactory } from './verification/verdict.maker';
import { verifierEnvSchema } from './verifier.env';
import { verifierConsumerGroup, VerifierModule } from './verifier.module';

export interface VerifierLaunch extends ServiceLaunch {
  /** How verdicts are made; teacher-forced verification when absent. The devnet's lazy verifiers plug in here. */
  readonly verdictMaker?: VerdictMakerFactory;
}

/** The verifier from its environment: pods (main.ts), the devnet and tests alike. */
export async function start(launch: VerifierLaunch): Promise<RunningService> {
  // AEGIS_CONTROL_ADDRESS_FILE: written by the chart's init container from the control key when no address is configured.
  const env = loadConfig(verifierEnvSchema, withFileVariables(launch.env, ['AEGIS_CONTROL_ADDRESS']));
  const logger =
    launch.logger?.child({ service: 'verifier', instance: env.AEGIS_INSTANCE_ID }) ?? createLogger('verifier', env.AEGIS_LOG_LEVEL);
  const keys = readNodeKeys(env.AEGIS_NODE_KEY_FILE);
  const runtime = await ModelRuntime.open(env.AEGIS_MODEL_DIR, { executionProvider: env.AEGIS_EXECUTION_PROVIDER });
  const verdictMaker = launch.verdictMaker?.(runtime);
  return bootstrapService({
    name: 'verifier',
    module: VerifierModule.forRoot({
      options: {
        keys,
        runtime,
        instanceId: env.AEGIS_INSTANCE_ID,
        controlAddress: env.AEGIS_CONTROL_ADDRESS,
        ...(verdictMaker ? { verdictMaker } : {}),
      },
      minStake: env.AEGIS_MIN_STAKE,
    }),
    logger,
    bus: launch.bus ?? kafkaBusFromEnv(loadConfig(kafkaEnvSchema, launch.env), CLIENT_IDS.verifier, logger),
    ownsBus: launch.bus === undefined,
    ...(launch.host === undefined ? {} : { host: launch.host }),
    grpc: { port: env.AEGIS_GRPC_PORT, services: [] },
    metricsPort: launch.noMetrics ? null : env.AEGIS_METRICS_PORT,
    readiness: readinessFromEnv(env),
    consumer: { groupId: verifierConsumerGroup(env.AEGIS_INSTANCE_ID) },
    ...(launch.handleSignals === undefined ? {} : { handleSignals: launch.handleSignals }),
  });
}
