/**
 * bootstrapService: builds and starts one service as a hybrid NestJS app, the same way in
 * distributed mode (main.ts) and in the embedded devnet (six apps in one process).
 *
 * Usage (services/<name>/src/main.ts):
 *
 *   const config = loadConfig(myEnvSchema, process.env);          // refuses to start on bad env
 *   const logger = createLogger('tallier', config.AEGIS_LOG_LEVEL);
 *   const bus = kafkaBusFromConfig(config, CLIENT_IDS.tallier, logger);
 *   await bootstrapService({
 *     name: 'tallier',
 *     module: TallierModule.forRoot(config),            // inject EVENT_BUS, SERVICE_LOGGER, ...
 *     logger, bus, ownsBus: true,
 *     grpc: { port: config.AEGIS_GRPC_PORT, services: [GRPC_SERVICES.x] },   // services: [] = health only
 *     metricsPort: config.AEGIS_METRICS_PORT,
 *     consumer: { groupId: CONSUMER_GROUPS.tallier },   // omit when the app has no @EventPattern
 *   });
 *
 * Handlers: `@EventPattern(TOPICS.x) handle(@Payload() record: BusRecord)` for the bus,
 * `@GrpcMethod(GRPC_SERVICES.x.service, 'Method')` for gRPC; throw `grpcError(code, field, msg)`
 * for a refusal and PoisonMessageError for a record that can never succeed.
 *
 * Start: app.init -> gRPC server (API + health + reflection) -> bus subscription -> /metrics ->
 * liveness and readiness SERVING -> readiness probes (Postgres when `readiness.databaseUrl` is
 * given, the bus's own problems) every 5 s, their watchdog exiting a process that stays not
 * ready past `readiness.exitAfterNotReadyMs` (ReadinessMonitor, health.ts for what each
 * answer means). Stop (SIGTERM/SIGINT, or close()): readiness NOT_SERVING -> gRPC graceful drain
 * and bus subscription stop (the record in hand finishes and commits) -> Nest destroy hooks
 * (repositories close their DataSource here) -> bus producer -> /metrics. Nest's own
 * enableShutdownHooks is not used: it runs destroy hooks BEFORE closing transports, which would
 * close the database under a handler still running.
 */
import { type DynamicModule, type INestApplication, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomStrategy } from '@nestjs/microservices';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { Server as HttpServer } from 'node:http';
import type { DeliveryOrdering, EventBus, RetryPolicy } from '@aegis/bus';
import { PROTO_LOADER_OPTIONS, type GrpcServiceContract } from '@aegis/contracts';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { TopicEventBusServer } from './topic-event-bus.server';
import { ServiceHealth, startHealthServer } from '../health';
import { busProbe, postgresProbe, ReadinessMonitor, type ReadinessProbe } from '../readiness';
import { PinoNestLogger } from '../logger';
import { createMetrics, serveMetrics } from '../metrics';
import { BoundGrpcServer } from './bound-grpc.server';
import { ServiceContextModule } from './service-context.module';
import { TransportExceptionFilter } from './transport-exception.filter';
import { DEFAULT_GRPC_MAX_IN_FLIGHT, DEFAULT_GRPC_MAX_STREAMS, InFlightLimit } from './in-flight.limit';

export interface ServiceBootstrapOptions {
  /** services/<name>; labels logs and metrics. */
  readonly name: string;
  /** The service's root module. */
  readonly module: Type<unknown> | DynamicModule;
  readonly logger: Logger;
  readonly bus: EventBus;
  /** Close the bus on shutdown: true when the process built it (distributed mode), false when shared (devnet). */
  readonly ownsBus: boolean;
  /** Listen address for gRPC and /metrics (0.0.0.0 in pods). */
  readonly host?: string;
  /**
   * The gRPC server: the listed API services (handlers are the module's @GrpcMethod controllers)
   * plus health and reflection; with no services it serves health only. Port 0 picks a free one.
   */
  readonly grpc: {
    readonly port: number;
    readonly services: readonly GrpcServiceContract[];
    /** Unary calls handled at once; more are answered RESOURCE_EXHAUSTED (default 256, InFlightLimit). */
    readonly maxInFlight?: number;
    /** Server streams open at once (default 1024). */
    readonly maxStreams?: number;
  };
  /** Prometheus /metrics port; null serves none (the devnet, tests). */
  readonly metricsPort: number | null;
  /** Subscribes the module's @EventPattern handlers under this group; omit for no bus input. */
  readonly consumer?: {
    readonly groupId: string;
    readonly retry?: RetryPolicy;
    readonly fromBeginning?: boolean;
    readonly ordering?: DeliveryOrdering;
  };
  /** Install SIGTERM/SIGINT handlers that close the service and exit (default true; false in the devnet and tests). */
  readonly handleSignals?: boolean;
  /**
   * An HTTP API on the Nest app itself (express; the gateway): `setup` runs before init (body
   * parsers, error middleware; Nest's default parsers are off so the service sets its own limits),
   * then the app listens on `port` (0 picks a free one). close() stops it with the app.
   */
  readonly http?: { readonly port: number; readonly setup?: (app: INestApplication) => void };
  readonly readiness?: ServiceReadinessOptions;
}

/** What readiness checks beyond the bus (always probed when it can fail), and the watchdog's bound. */
export interface ServiceReadinessOptions {
  /** The service's database: probed with SELECT 1 on a connection of its own. */
  readonly databaseUrl?: string;
  /**
   * Exit (code 1) after this long not ready because of a probe; null never (default 120 s).
   * Applies only when the service owns its process (handleSignals) or `giveUp` is given.
   */
  readonly exitAfterNotReadyMs?: number | null;
  readonly intervalMs?: number;
  readonly deadlineMs?: number;
  /** Replaces the watchdog's process.exit(1) (tests). */
  readonly giveUp?: (problems: readonly string[]) => void;
}

export const DEFAULT_NOT_READY_EXIT_MS = 120_000;

/** Readiness from the common environment (AEGIS_NOT_READY_EXIT_SECONDS, 0 = never) and the service's database. */
export function readinessFromEnv(env: { readonly AEGIS_NOT_READY_EXIT_SECONDS: number }, databaseUrl?: string): ServiceReadinessOptions {
  return {
    exitAfterNotReadyMs: env.AEGIS_NOT_READY_EXIT_SECONDS === 0 ? null : env.AEGIS_NOT_READY_EXIT_SECONDS * 1000,
    ...(databaseUrl ? { databaseUrl } : {}),
  };
}

export interface RunningService {
  readonly name: string;
  readonly app: INestApplication;
  readonly health: ServiceHealth;
  readonly readiness: ReadinessMonitor;
  /** The gRPC edge's in-flight bound and what it holds now. */
  readonly inFlight: InFlightLimit;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** The bound gRPC port (useful with port 0). */
  readonly grpcPort: number;
  readonly metricsPort: number | null;
  /** The bound HTTP API port when the service serves one (options.http). */
  readonly httpPort?: number;
  /** Graceful stop in the order described above. Idempotent. */
  close(): Promise<void>;
}

export async function bootstrapService(options: ServiceBootstrapOptions): Promise<RunningService> {
  const { logger, bus } = options;
  const host = options.host ?? '0.0.0.0';
  const health = new ServiceHealth();
  const metrics = createMetrics(options.name);

  @Module({ imports: [ServiceContextModule.forRoot({ bus, logger, health, metrics }), options.module] })
  class ServiceRootModule {}

  // abortOnError false: a failed start must reach the caller (the devnet reports it), not exit.
  const app = await NestFactory.create(ServiceRootModule, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    bodyParser: options.http === undefined,
  });
  app.useGlobalFilters(new TransportExceptionFilter(logger));
  const inFlight = new InFlightLimit({
    maxInFlight: options.grpc.maxInFlight ?? DEFAULT_GRPC_MAX_IN_FLIGHT,
    maxStreams: options.grpc.maxStreams ?? DEFAULT_GRPC_MAX_STREAMS,
  });
  app.useGlobalInterceptors(inFlight);
  options.http?.setup?.(app);

  const closers: { grpc?: () => Promise<void>; bus?: () => Promise<void> } = {};
  let grpcPort: number;
  let httpPort: number | undefined;
  let metricsServer: HttpServer | undefined;
  let healthOnly: GrpcServer | undefined;
  try {
    if (options.grpc.services.length > 0) {
      const grpcServer = grpcApiServer(options.grpc.services, host, options.grpc.port, health, inFlight);
      app.connectMicroservice<CustomStrategy>({ strategy: grpcServer }, { inheritAppConfig: true });
      closers.grpc = () => grpcServer.close();
      await app.init();
      await app.startAllMicroservices();
      grpcPort = await grpcServer.port();
    } else {
      await app.init();
      const started = await startHealthServer(health, host, options.grpc.port);
      healthOnly = started.server;
      grpcPort = started.port;
      closers.grpc = () => shutdownGrpc(started.server);
    }
    // The bus last: handlers may call the gRPC API of this very app (tests, devnet) and must find it up.
    if (options.consumer) {
      const busServer = new TopicEventBusServer(bus, options.consumer);
      const microservice = app.connectMicroservice<CustomStrategy>({ strategy: busServer }, { inheritAppConfig: true });
      closers.bus = () => busServer.close();
      await microservice.listen();
    }
    if (options.http) {
      await app.listen(options.http.port, host);
      httpPort = addressPort(app.getHttpServer() as HttpServer);
    }
    if (options.metricsPort !== null) metricsServer = await serveMetrics(metrics, host, options.metricsPort);
  } catch (err) {
    await closers.bus?.().catch(() => undefined);
    await closers.grpc?.().catch(() => undefined);
    healthOnly?.forceShutdown();
    await app.close().catch(() => undefined);
    if (options.ownsBus) await bus.close().catch(() => undefined);
    throw err;
  }
  health.setLive(true);
  health.set('SERVING');
  const readiness = readinessMonitor(options, health);
  readiness.start();
  const boundMetricsPort = metricsServer ? addressPort(metricsServer) : null;
  logger.info({ grpcPort, httpPort, metricsPort: boundMetricsPort, groupId: options.consumer?.groupId }, 'service started');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      health.set('NOT_SERVING');
      logger.info('service stopping');
      await readiness.stop();
      // Stop taking input first, both edges at once; each finishes what it holds.
      await Promise.all([closers.grpc?.(), closers.bus?.()]);
      await app.close();
      if (options.ownsBus) await bus.close();
      if (metricsServer) await new Promise<void>((resolve) => metricsServer?.close(() => resolve()));
      health.setLive(false);
      logger.info('service stopped');
    })());

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutdown requested');
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err: String(err) }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return {
    name: options.name,
    app,
    health,
    readiness,
    inFlight,
    logger,
    metrics,
    grpcPort,
    metricsPort: boundMetricsPort,
    ...(httpPort !== undefined ? { httpPort } : {}),
    close,
  };
}

function readinessMonitor(options: ServiceBootstrapOptions, health: ServiceHealth): ReadinessMonitor {
  const r = options.readiness ?? {};
  const bus = busProbe(options.bus);
  const probes: ReadinessProbe[] = [...(r.databaseUrl ? [postgresProbe(r.databaseUrl)] : []), ...(bus ? [bus] : [])];
  const ownsProcess = options.handleSignals ?? true;
  return new ReadinessMonitor(health, {
    probes,
    // Only a service that owns its process ends it (a devnet's services share one), or a test's giveUp.
    exitAfterMs: ownsProcess || r.giveUp ? (r.exitAfterNotReadyMs === undefined ? DEFAULT_NOT_READY_EXIT_MS : r.exitAfterNotReadyMs) : null,
    logger: options.logger,
    ...(r.intervalMs !== undefined ? { intervalMs: r.intervalMs } : {}),
    ...(r.deadlineMs !== undefined ? { deadlineMs: r.deadlineMs } : {}),
    ...(r.giveUp ? { giveUp: r.giveUp } : {}),
  });
}

function grpcApiServer(
  services: readonly GrpcServiceContract[],
  host: string,
  port: number,
  health: ServiceHealth,
  inFlight: InFlightLimit,
): BoundGrpcServer {
  return new BoundGrpcServer({
    url: `${host}:${port}`,
    package: services.map((s) => s.package),
    protoPath: services.map((s) => s.protoPath),
    loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [...(PROTO_LOADER_OPTIONS.includeDirs ?? [])] },
    gracefulShutdown: true,
    // Health and reflection on the same port as the API, so one probe port per pod.
    onLoadPackageDefinition: (definition: PackageDefinition, server: GrpcServer) => {
      health.attach(server, [definition]);
      inFlight.noteDefinition(definition);
    },
  });
}

async function shutdownGrpc(server: GrpcServer): Promise<void> {
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
}

function addressPort(server: HttpServer): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}
