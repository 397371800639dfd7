import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, describe, expect, it } from 'vitest';
import { healthProtoPath, ServiceHealth, startHealthServer } from './health';

type CheckClient = Client & {
  check(req: { service: string }, cb: (err: Error | null, res?: { status: string }) => void): void;
};

describe('ServiceHealth', () => {
  const health = new ServiceHealth();
  const started = startHealthServer(health, '127.0.0.1', 0);
  afterAll(async () => (await started).server.forceShutdown());

  const check = async (): Promise<string> => {
    const { port } = await started;
    const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
      grpc: { health: { v1: { Health: ServiceClientConstructor } } };
    };
    const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as CheckClient;
    try {
      return await new Promise((resolve, reject) =>
        client.check({ service: '' }, (err, res) => (err ? reject(err) : resolve(res?.status ?? 'none'))),
      );
    } finally {
      client.close();
    }
  };

  it('reports NOT_SERVING until the service says it is ready, then SERVING', async () => {
    expect(await check()).toBe('NOT_SERVING');
    health.set('SERVING');
    expect(await check()).toBe('SERVING');
  });
});
