import { type Client, credentials, loadPackageDefinition, Server, ServerCredentials, type ServiceClientConstructor } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { StrictDecodingServer } from './bootstrap/malformed-request';

export { healthProtoPath };

/** grpc.health.v1 service names: Kubernetes' liveness probe asks the first, readiness the second. */
export const LIVENESS_SERVICE = 'liveness';
export const READINESS_SERVICE = 'readiness';

/**
 * gRPC health checking (grpc.health.v1) for every service, as two answers:
 *
 * - liveness ('liveness'): SERVING from the end of start-up until the process stops. A process
 *   that cannot recover does not report itself dead here: the readiness watchdog exits it
 *   (ReadinessMonitor), which is more direct than waiting for a probe to notice.
 * - readiness ('' and its alias 'readiness'): SERVING only while the service has declared
 *   itself ready (start-up done, not shutting down, and whatever the service adds: the worker
 *   is out while no key of it is active) AND nothing it depends on is failing (Postgres,
 *   Kafka, its own producer and consumer: the problems ReadinessMonitor finds). Kubernetes
 *   stops routing to a pod that is not ready.
 */
export class ServiceHealth {
  readonly impl = new HealthImplementation({ '': 'NOT_SERVING', [READINESS_SERVICE]: 'NOT_SERVING', [LIVENESS_SERVICE]: 'NOT_SERVING' });
  private declared: ServingStatus = 'NOT_SERVING';
  private current: readonly string[] = [];

  /** The service's own readiness ('', the default); any other name is set as given. */
  set(status: ServingStatus, service = ''): void {
    if (service === '' || service === READINESS_SERVICE) {
      this.declared = status;
      this.publish();
    } else this.impl.setStatus(service, status);
  }

  setLive(live: boolean): void {
    this.impl.setStatus(LIVENESS_SERVICE, live ? 'SERVING' : 'NOT_SERVING');
  }

  /** What is failing now (ReadinessMonitor); any problem makes the service not ready. */
  setProblems(problems: readonly string[]): void {
    this.current = [...problems];
    this.publish();
  }

  problems(): readonly string[] {
    return this.current;
  }

  ready(): boolean {
    return this.declared === 'SERVING' && this.current.length === 0;
  }

  private publish(): void {
    const status: ServingStatus = this.ready() ? 'SERVING' : 'NOT_SERVING';
    this.impl.setStatus('', status);
    this.impl.setStatus(READINESS_SERVICE, status);
  }

  /** Adds health and server reflection to a grpc-js server (reflection covers `definitions`). */
  attach(server: Server, definitions: PackageDefinition[] = []): void {
    this.impl.addToServer(server);
    const health = loadSync(healthProtoPath);
    new ReflectionService({ ...health, ...Object.assign({}, ...definitions) }).addToServer(server);
  }
}

/** A bare gRPC server exposing only health and reflection, for services that serve no API. */
export async function startHealthServer(health: ServiceHealth, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = new StrictDecodingServer();
  health.attach(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
}

type HealthCheckClient = Client & {
  check(req: { service: string }, options: { deadline: number }, cb: (err: Error | null, res?: { status: string }) => void): void;
};

/**
 * One grpc.health.v1 Check of `service` (default the overall status '', i.e. readiness) at
 * 127.0.0.1:`port`: SERVING, NOT_SERVING, ... or UNREACHABLE when nothing answers within 3 s.
 * What readiness waits and tests poll.
 */
export async function grpcHealthStatus(port: number, host = '127.0.0.1', service = ''): Promise<string> {
  const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.health.v1.Health(`${host}:${port}`, credentials.createInsecure()) as unknown as HealthCheckClient;
  try {
    return await new Promise((resolve) =>
      client.check({ service }, { deadline: Date.now() + 3000 }, (err, res) => resolve(err ? 'UNREACHABLE' : (res?.status ?? 'UNKNOWN'))),
    );
  } finally {
    client.close();
  }
}
