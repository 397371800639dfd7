import { CLIENT_IDS, SUBMISSION_QUERY } from '@aegis/contracts';
import { kafkaEnvSchema, loadConfig } from '@aegis/config';
import {
  bootstrapService,
  createLogger,
  kafkaBusFromEnv,
  readinessFromEnv,
  type RunningService,
  type ServiceLaunch,
} from '@aegis/service-kit';
import { migrateTallier, tallierDataSource } from './persistence/tallier.data-source';
import { TALLIER_CONSUMER, TALLIER_PARTITIONS_CONCURRENTLY } from './tallier.constants';
import { TallierModule } from './tallier.module';
import { tallierConfigFromEnv } from './tallier.options';

/** The tallier from its environment: pods (main.ts), the devnet and tests alike. */
export async function start(launch: ServiceLaunch): Promise<RunningService> {
  const { env, options } = tallierConfigFromEnv(launch.env);
  const logger = launch.logger?.child({ service: 'tallier' }) ?? createLogger('tallier', env.AEGIS_LOG_LEVEL);
  // Pods do not migrate here: `aegis db migrate` (a Helm hook Job) owns migrations.
  const dataSource = await tallierDataSource(env.AEGIS_DATABASE_URL).initialize();
  try {
    if (launch.migrate) await migrateTallier(dataSource);
  } catch (e) {
    await dataSource.destroy();
    throw e;
  }
  return bootstrapService({
    name: 'tallier',
    module: TallierModule.forRoot({
      options: { ...options, ...(launch.now ? { clock: { now: launch.now } } : {}) },
      dataSource,
      ownsDataSource: true,
    }),
    logger,
    bus:
      launch.bus ??
      kafkaBusFromEnv(loadConfig(kafkaEnvSchema, launch.env), CLIENT_IDS.tallier, logger, {
        partitionsConsumedConcurrently: TALLIER_PARTITIONS_CONCURRENTLY,
      }),
    ownsBus: launch.bus === undefined,
    ...(launch.host === undefined ? {} : { host: launch.host }),
    // SubmissionQuery plus health and reflection on one port.
    grpc: { port: env.AEGIS_GRPC_PORT, services: [SUBMISSION_QUERY] },
    metricsPort: launch.noMetrics ? null : env.AEGIS_METRICS_PORT,
    readiness: readinessFromEnv(env, env.AEGIS_DATABASE_URL),
    consumer: TALLIER_CONSUMER,
    ...(launch.handleSignals === undefined ? {} : { handleSignals: launch.handleSignals }),
  });
}
