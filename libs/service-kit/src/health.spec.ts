import { afterAll, describe, expect, it } from 'vitest';
import { grpcHealthStatus, ServiceHealth, startHealthServer } from './health';

describe('ServiceHealth', () => {
  const health = new ServiceHealth();
  const started = startHealthServer(health, '127.0.0.1', 0);
  afterAll(async () => (await started).server.forceShutdown());

  const check = async (): Promise<string> => grpcHealthStatus((await started).port);

  it('reports NOT_SERVING until the service says it is ready, then SERVING', async () => {
    expect(await check()).toBe('NOT_SERVING');
    health.set('SERVING');
    expect(await check()).toBe('SERVING');
  });
});
