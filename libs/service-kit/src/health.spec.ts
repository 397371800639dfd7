import { afterAll, describe, expect, it } from 'vitest';
import { grpcHealthStatus, LIVENESS_SERVICE, READINESS_SERVICE, ServiceHealth, startHealthServer } from './health';

describe('ServiceHealth', () => {
  const health = new ServiceHealth();
  const started = startHealthServer(health, '127.0.0.1', 0);
  afterAll(async () => (await started).server.forceShutdown());

  const check = async (service = ''): Promise<string> => grpcHealthStatus((await started).port, '127.0.0.1', service);

  it('reports NOT_SERVING until the service says it is ready, then SERVING', async () => {
    expect(await check()).toBe('NOT_SERVING');
    expect(await check(LIVENESS_SERVICE)).toBe('NOT_SERVING');
    health.setLive(true);
    health.set('SERVING');
    expect(await check()).toBe('SERVING');
    expect(await check(READINESS_SERVICE)).toBe('SERVING');
  });

  it('is not ready while a dependency has a problem, and stays live', async () => {
    health.set('SERVING');
    health.setProblems(['postgres: connection refused']);
    expect(health.ready()).toBe(false);
    expect(await check()).toBe('NOT_SERVING');
    expect(await check(READINESS_SERVICE)).toBe('NOT_SERVING');
    expect(await check(LIVENESS_SERVICE)).toBe('SERVING');
    health.setProblems([]);
    expect(await check()).toBe('SERVING');
  });

  it('stays not ready while the service declares itself out, even with no problems', async () => {
    health.set('NOT_SERVING');
    health.setProblems([]);
    expect(await check()).toBe('NOT_SERVING');
    health.set('SERVING');
    expect(await check(READINESS_SERVICE)).toBe('SERVING');
  });
});
