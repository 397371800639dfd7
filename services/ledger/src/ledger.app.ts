import type { EventBus } from '@aegis/bus';
import { CONSUMER_GROUPS, GRPC_SERVICES } from '@aegis/contracts';
import { bootstrapService, type RunningService, type ServiceReadinessOptions } from '@aegis/service-kit';
import type { Logger } from 'pino';
import type { LedgerRepository } from './accounts/ledger.repository';
import type { LedgerConfig } from './ledger.config';
import type { Clock } from './ledger.constants';
import { LedgerAppModule } from './ledger-app.module';

export interface LedgerAppLaunch {
  readonly config: LedgerConfig;
  readonly repository: LedgerRepository;
  readonly bus: EventBus;
  readonly ownsBus: boolean;
  readonly logger: Logger;
  readonly grpcPort: number;
  readonly metricsPort: number | null;
  readonly host?: string;
  readonly handleSignals?: boolean;
  readonly readiness?: ServiceReadinessOptions;
  readonly clock?: Clock;
}

/** The ledger service on any repository and bus: start.ts (env) and the specs both use it. */
export function startLedgerApp(launch: LedgerAppLaunch): Promise<RunningService> {
  return bootstrapService({
    name: 'ledger',
    module: LedgerAppModule.forRoot({
      config: launch.config,
      repository: launch.repository,
      ...(launch.clock ? { clock: launch.clock } : {}),
    }),
    logger: launch.logger,
    bus: launch.bus,
    ownsBus: launch.ownsBus,
    ...(launch.host ? { host: launch.host } : {}),
    grpc: { port: launch.grpcPort, services: [GRPC_SERVICES.stakeLedger] },
    metricsPort: launch.metricsPort,
    // Key-ordered: commands with one key (a dispute, a node, a task's fees) stay in order, and the
    // commands of a fetch are applied as one ledger batch instead of one per partition in flight.
    consumer: { groupId: CONSUMER_GROUPS.ledger, ordering: 'key' },
    handleSignals: launch.handleSignals ?? true,
    ...(launch.readiness ? { readiness: launch.readiness } : {}),
  });
}
