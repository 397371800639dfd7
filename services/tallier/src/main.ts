import { CLIENT_IDS, SUBMISSION_QUERY } from '@aegis/contracts';
import { kafkaEnvSchema, loadConfig } from '@aegis/config';
import { bootstrapService, createLogger, readinessFromEnv, kafkaBusFromEnv, runServiceMain } from '@aegis/service-kit';
import { tallierDataSource } from './persistence/tallier.data-source';
import { TALLIER_CONSUMER, TALLIER_PARTITIONS_CONCURRENTLY } from './tallier.constants';
import { TallierModule } from './tallier.module';
import { tallierConfigFromEnv } from './tallier.options';

runServiceMain('tallier', async () => {
  const { env, options } = tallierConfigFromEnv(process.env);
  const kafka = loadConfig(kafkaEnvSchema, process.env);
  const logger = createLogger('tallier', env.AEGIS_LOG_LEVEL);
  // Migrations are not run here: `aegis db migrate` (a Helm hook Job) owns them.
  const dataSource = await tallierDataSource(env.AEGIS_DATABASE_URL).initialize();
  await bootstrapService({
    name: 'tallier',
    module: TallierModule.forRoot({ options, dataSource, ownsDataSource: true }),
    logger,
    bus: kafkaBusFromEnv(kafka, CLIENT_IDS.tallier, logger, { partitionsConsumedConcurrently: TALLIER_PARTITIONS_CONCURRENTLY }),
    ownsBus: true,
    // SubmissionQuery plus health and reflection on one port.
    grpc: { port: env.AEGIS_GRPC_PORT, services: [SUBMISSION_QUERY] },
    metricsPort: env.AEGIS_METRICS_PORT,
    readiness: readinessFromEnv(env, env.AEGIS_DATABASE_URL),
    consumer: TALLIER_CONSUMER,
  });
});
