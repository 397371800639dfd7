import { CLIENT_IDS } from '@aegis/contracts';
import { kafkaEnvSchema, loadConfig } from '@aegis/config';
import { migrateLedger } from '@aegis/ledger';
import { COMMAND_PARTITIONS_CONCURRENTLY } from './ledger.constants';
import { createLogger, kafkaBusFromEnv, readinessFromEnv, type ServiceStarter } from '@aegis/service-kit';
import { PgLedgerRepository } from './accounts/pg-ledger.repository';
import { ledgerConfigFromEnv, ledgerEnvSchema } from './ledger.config';
import { startLedgerApp } from './ledger.app';

/** The ledger service from its environment (pods, the e2e test, the devnet: see ServiceLaunch). */
export const start: ServiceStarter = async (launch) => {
  const env = loadConfig(ledgerEnvSchema, launch.env);
  const logger = launch.logger?.child({ service: 'ledger' }) ?? createLogger('ledger', env.AEGIS_LOG_LEVEL);
  const bus =
    launch.bus ??
    kafkaBusFromEnv(loadConfig(kafkaEnvSchema, launch.env), CLIENT_IDS.ledger, logger, {
      partitionsConsumedConcurrently: COMMAND_PARTITIONS_CONCURRENTLY,
    });
  const config = ledgerConfigFromEnv(env);
  if (launch.migrate) await migrateLedger({ url: env.AEGIS_DATABASE_URL });
  const repository = await PgLedgerRepository.connect({
    url: env.AEGIS_DATABASE_URL,
    rules: { minStake: config.minStake, unbondingSeconds: config.unbondingSeconds },
  });
  return startLedgerApp({
    config,
    repository,
    bus,
    ownsBus: launch.bus === undefined,
    logger,
    grpcPort: env.AEGIS_GRPC_PORT,
    metricsPort: launch.noMetrics ? null : env.AEGIS_METRICS_PORT,
    handleSignals: launch.handleSignals ?? true,
    readiness: readinessFromEnv(env, env.AEGIS_DATABASE_URL),
    ...(launch.now ? { clock: () => new Date(launch.now?.() ?? Date.now()) } : {}),
  });
};
