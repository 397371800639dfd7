import type { EventBus } from '@aegis/bus';
import { GRPC_SERVICES, instanceConsumerGroup } from '@aegis/contracts';
import { bootstrapService, type RunningService, type ServiceReadinessOptions } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { IngressAppModule, type IngressAppOptions } from './ingress-app.module';

export interface IngressAppLaunch extends IngressAppOptions {
  readonly bus: EventBus;
  readonly ownsBus: boolean;
  readonly logger: Logger;
  readonly grpcPort: number;
  readonly metricsPort: number | null;
  readonly host?: string;
  readonly handleSignals?: boolean;
  readonly readiness?: ServiceReadinessOptions;
  /** The in-flight bound of the gRPC edge (AEGIS_GRPC_MAX_IN_FLIGHT; default 256). */
  readonly maxInFlight?: number;
}

/** Ingress on any repository, ledger client and bus: start.ts (env) and the specs use it. */
export function startIngressApp(launch: IngressAppLaunch): Promise<RunningService> {
  return bootstrapService({
    name: 'ingress',
    module: IngressAppModule.forRoot(launch),
    logger: launch.logger,
    bus: launch.bus,
    ownsBus: launch.ownsBus,
    ...(launch.host ? { host: launch.host } : {}),
    grpc: {
      port: launch.grpcPort,
      services: [GRPC_SERVICES.taskIngress],
      ...(launch.maxInFlight ? { maxInFlight: launch.maxInFlight } : {}),
    },
    metricsPort: launch.metricsPort,
    // Only changes from now on: history comes from the database, not from replaying the topic.
    // Key-ordered: a task's changes stay in order, and the changes of a fetch are appended
    // together (one statement for as many as are in flight, not one per partition).
    consumer: { groupId: instanceConsumerGroup('ingress', launch.config.instanceId), fromBeginning: false, ordering: 'key' },
    handleSignals: launch.handleSignals ?? true,
    ...(launch.readiness ? { readiness: launch.readiness } : {}),
  });
}
