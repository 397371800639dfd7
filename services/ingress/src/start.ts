import { CLIENT_IDS } from '@aegis/contracts';
import { kafkaEnvSchema, loadConfig } from '@aegis/config';
import { runMigrations } from '@aegis/db';
import { STATUS_PARTITIONS_CONCURRENTLY } from './ingress.constants';
import { createLogger, kafkaBusFromEnv, readinessFromEnv, type ServiceStarter } from '@aegis/service-kit';
import { ingressDataSource } from './db/ingress.datasource';
import { PgTasksRepository } from './db/pg-tasks.repository';
import { ingressConfigFromEnv, ingressEnvSchema } from './ingress.config';
import { startIngressApp } from './ingress.app';
import { GrpcLedgerClient } from './ledger/ledger.client';
import { ModelCatalog } from './models/model.catalog';

/** Ingress from its environment (pods, the e2e test, the devnet: see ServiceLaunch). */
export const start: ServiceStarter = async (launch) => {
  const env = loadConfig(ingressEnvSchema, launch.env);
  const logger = launch.logger?.child({ service: 'ingress' }) ?? createLogger('ingress', env.AEGIS_LOG_LEVEL);
  const bus =
    launch.bus ??
    kafkaBusFromEnv(loadConfig(kafkaEnvSchema, launch.env), CLIENT_IDS.ingress, logger, {
      partitionsConsumedConcurrently: STATUS_PARTITIONS_CONCURRENTLY,
    });
  const catalog = ModelCatalog.fromDir(env.AEGIS_MODEL_DIR);
  const dataSource = ingressDataSource(env.AEGIS_DATABASE_URL);
  if (launch.migrate) await runMigrations(dataSource);
  await dataSource.initialize();
  return startIngressApp({
    config: ingressConfigFromEnv(env),
    catalog,
    repository: new PgTasksRepository(dataSource, true),
    ledger: new GrpcLedgerClient(env.AEGIS_LEDGER_URL),
    bus,
    ownsBus: launch.bus === undefined,
    logger,
    grpcPort: env.AEGIS_GRPC_PORT,
    metricsPort: launch.noMetrics ? null : env.AEGIS_METRICS_PORT,
    handleSignals: launch.handleSignals ?? true,
    readiness: readinessFromEnv(env, env.AEGIS_DATABASE_URL),
    maxInFlight: env.AEGIS_GRPC_MAX_IN_FLIGHT,
  });
};
