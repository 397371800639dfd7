import { type Client, credentials, loadPackageDefinition, Server, ServerCredentials, type ServiceClientConstructor } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { StrictDecodingServer } from './bootstrap/malformed-request';

export { healthProtoPath };

/**
 * gRPC health checking (grpc.health.v1) for every service. The overall status ('') flips to
 * SERVING only once the service has connected to everything it needs, and back to NOT_SERVING
 * when shutdown starts, so Kubernetes stops routing before connections close.
 */
export class ServiceHealth {
  readonly impl = new HealthImplementation({ '': 'NOT_SERVING' });

  set(status: ServingStatus, service = ''): void {
    this.impl.setStatus(service, status);
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
  check(req: { service: string }, cb: (err: Error | null, res?: { status: string }) => void): void;
};

/**
 * One grpc.health.v1 Check of the overall status ('') at 127.0.0.1:`port`: SERVING,
 * NOT_SERVING, ... or UNREACHABLE when nothing answers. What readiness waits and tests poll.
 */
export async function grpcHealthStatus(port: number, host = '127.0.0.1'): Promise<string> {
  const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.health.v1.Health(`${host}:${port}`, credentials.createInsecure()) as unknown as HealthCheckClient;
  try {
    return await new Promise((resolve) => client.check({ service: '' }, (err, res) => resolve(err ? 'UNREACHABLE' : (res?.status ?? 'UNKNOWN'))));
  } finally {
    client.close();
  }
}
