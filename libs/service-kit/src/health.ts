import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

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
  const server = new Server();
  health.attach(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
}
