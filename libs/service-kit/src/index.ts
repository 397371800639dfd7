export { createLogger, PinoNestLogger } from './logger';
export { grpcHealthStatus, LIVENESS_SERVICE, READINESS_SERVICE, ServiceHealth, startHealthServer, healthProtoPath } from './health';
export { busProbe, postgresProbe, ReadinessMonitor, type ReadinessMonitorOptions, type ReadinessProbe } from './readiness';
export { createMetrics, serveMetrics } from './metrics';
export { EventBusServer, RethrowToTransportFilter } from './event-bus.server';
export {
  bootstrapService,
  DEFAULT_NOT_READY_EXIT_MS,
  readinessFromEnv,
  type RunningService,
  type ServiceBootstrapOptions,
  type ServiceReadinessOptions,
} from './bootstrap/service.bootstrap';
export { ServiceContextModule, type ServiceContext } from './bootstrap/service-context.module';
export { EVENT_BUS, METRICS_REGISTRY, SERVICE_HEALTH, SERVICE_LOGGER } from './bootstrap/service-kit.constants';
export { TransportExceptionFilter } from './bootstrap/transport-exception.filter';
export { grpcError, grpcStatusOf, GrpcStatus } from './bootstrap/grpc-status.error';
export { kafkaBusFromEnv, kafkaConnectionFromEnv, type KafkaConsumerTuning } from './bootstrap/service-bus.factory';
export { runServiceMain } from './bootstrap/service.main';
export { stakeViewProviders, type StakeViewSource } from './stake-view.feeder';
export type { ServiceLaunch, ServiceStarter } from './bootstrap/service.launch';
export { GrpcServiceClient } from './bootstrap/grpc.client';
export { readNodeKeys } from './node-keys.file';
export { GRPC_STATUS_OF_KIND, grpcStatusOfKind } from './bootstrap/error-status';
export { PeriodicJob, type PeriodicJobOptions } from './periodic.job';
export { DEFAULT_GRPC_MAX_IN_FLIGHT, DEFAULT_GRPC_MAX_STREAMS, InFlightLimit, type InFlightLimits } from './bootstrap/in-flight.limit';
