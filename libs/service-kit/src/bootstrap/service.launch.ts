import type { EventBus } from '@aegis/bus';
import type { Logger } from 'pino';
import type { RunningService } from './service.bootstrap';

/**
 * How every service is started, in a pod and in the devnet alike. Each service exports
 *
 *   // services/<name>/src/start.ts
 *   export const start: ServiceStarter = async (launch) => { ... return bootstrapService(...) };
 *
 * and its main.ts is `runServiceMain('<name>', () => start({ env: process.env }))`. The devnet
 * (libs/devnet) imports `start` from `@aegis/services/<name>` and calls it with an env it built
 * (its embedded Postgres URL, key files it wrote, free ports) and the shared in-process bus: the
 * same validation and modules, other adapters. A service whose work has a port for test doubles
 * (the worker's result producer, the verifier's verdict maker) takes them in its own launch type.
 */
export interface ServiceLaunch {
  /** The environment as the service validates it (process.env in pods; built by the devnet). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The bus to use; when absent the service builds a KafkaEventBus from AEGIS_KAFKA_* and owns it. */
  readonly bus?: EventBus;
  /** A parent logger (the devnet's); when absent the service creates one from AEGIS_LOG_LEVEL. */
  readonly logger?: Logger;
  /** Default true (pods); the devnet and tests stop services themselves. */
  readonly handleSignals?: boolean;
  /** No /metrics server even if AEGIS_METRICS_PORT is set (several services in one process). */
  readonly noMetrics?: boolean;
  /** Run this service's database migrations before starting (devnet and tests only; pods use `aegis db migrate`). */
  readonly migrate?: boolean;
  /** Interface the gRPC and health servers bind (0.0.0.0 in pods; the devnet keeps to 127.0.0.1). */
  readonly host?: string;
  /** Injected clock, ms since the epoch (tests advance time; the tallier's windows use it). */
  readonly now?: () => number;
}

export type ServiceStarter = (launch: ServiceLaunch) => Promise<RunningService>;
