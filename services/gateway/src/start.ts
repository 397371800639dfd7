import { loadConfig } from '@aegis/config';
import { runMigrations } from '@aegis/db';
import { createLogger, type ServiceStarter } from '@aegis/service-kit';
import { gatewayDataSource } from './db/gateway.datasource';
import { PgApiKeyStore } from './db/pg-api-key.store';
import { startGatewayApp } from './gateway.app';
import { gatewayConfigFromEnv, gatewayEnvSchema } from './gateway.config';
import { ServedModels } from './openai/served.models';

/** The gateway from its environment (pods, the devnet: see ServiceLaunch). */
export const start: ServiceStarter = async (launch) => {
  const env = loadConfig(gatewayEnvSchema, launch.env);
  const logger = launch.logger?.child({ service: 'gateway' }) ?? createLogger('gateway', env.AEGIS_LOG_LEVEL);
  const models = ServedModels.fromDir(env.AEGIS_MODEL_DIR);
  const dataSource = gatewayDataSource(env.AEGIS_DATABASE_URL);
  if (launch.migrate) await runMigrations(dataSource);
  await dataSource.initialize();
  return startGatewayApp({
    config: gatewayConfigFromEnv(env),
    models,
    store: new PgApiKeyStore(dataSource, true),
    masterKeyHex: env.AEGIS_GATEWAY_MASTER_KEY,
    ingressUrl: env.AEGIS_INGRESS_URL,
    logger,
    httpPort: env.AEGIS_HTTP_PORT,
    grpcPort: env.AEGIS_GRPC_PORT,
    metricsPort: launch.noMetrics ? null : env.AEGIS_METRICS_PORT,
    handleSignals: launch.handleSignals ?? true,
  });
};
