import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ServiceHealth } from './health';
import { postgresProbe, ReadinessMonitor, type ReadinessProbe } from './readiness';

const logger = pino({ level: 'silent' });

function switchable(name: string): { probe: ReadinessProbe; fail: (why: string | undefined) => void } {
  let why: string | undefined;
  return {
    probe: { name, check: async () => (why === undefined ? [] : [`${name}: ${why}`]) },
    fail: (w) => (why = w),
  };
}

function setup(exitAfterMs: number | null, probes: ReadinessProbe[]) {
  let now = 1_000_000;
  const gaveUp: (readonly string[])[] = [];
  const health = new ServiceHealth();
  health.set('SERVING');
  const monitor = new ReadinessMonitor(health, {
    probes,
    exitAfterMs,
    logger,
    now: () => now,
    deadlineMs: 50,
    giveUp: (p) => gaveUp.push(p),
  });
  return { health, monitor, gaveUp, advance: (ms: number) => (now += ms) };
}

describe('ReadinessMonitor', () => {
  it('makes the service not ready while a probe reports a problem, and ready again after', async () => {
    const db = switchable('postgres');
    const { health, monitor } = setup(null, [db.probe]);
    await monitor.tick();
    expect(health.ready()).toBe(true);
    db.fail('connection refused');
    await monitor.tick();
    expect(health.ready()).toBe(false);
    expect(health.problems()).toEqual(['postgres: connection refused']);
    db.fail(undefined);
    await monitor.tick();
    expect(health.ready()).toBe(true);
  });

  it('counts a probe that does not answer by its deadline as a problem', async () => {
    const hangs: ReadinessProbe = { name: 'kafka', check: () => new Promise(() => undefined) };
    const { health, monitor } = setup(null, [hangs]);
    await monitor.tick();
    expect(health.problems()).toEqual(['kafka: no answer within 50 ms']);
  });

  it('counts a probe that throws as a problem naming it', async () => {
    const throws: ReadinessProbe = { name: 'kafka', check: () => Promise.reject(new Error('boom')) };
    const { health, monitor } = setup(null, [throws]);
    await monitor.tick();
    expect(health.problems()).toEqual(['kafka: boom']);
  });

  it('gives up once problems outlast the bound, not before, with the problems', async () => {
    const db = switchable('postgres');
    const { monitor, gaveUp, advance } = setup(10_000, [db.probe]);
    db.fail('down');
    await monitor.tick();
    advance(9_999);
    await monitor.tick();
    expect(gaveUp).toEqual([]);
    advance(1);
    await monitor.tick();
    expect(gaveUp).toEqual([['postgres: down']]);
  });

  it('starts the bound again after a recovery', async () => {
    const db = switchable('postgres');
    const { monitor, gaveUp, advance } = setup(10_000, [db.probe]);
    db.fail('down');
    await monitor.tick();
    advance(8_000);
    db.fail(undefined);
    await monitor.tick();
    db.fail('down');
    advance(1_000);
    await monitor.tick();
    advance(8_000);
    await monitor.tick();
    expect(gaveUp).toEqual([]);
  });

  it('never gives up for a service that declares itself out (only probe failures count)', async () => {
    const db = switchable('postgres');
    const { health, monitor, gaveUp, advance } = setup(10_000, [db.probe]);
    health.set('NOT_SERVING');
    await monitor.tick();
    advance(60_000);
    await monitor.tick();
    expect(health.ready()).toBe(false);
    expect(gaveUp).toEqual([]);
  });

  it('never gives up without a bound', async () => {
    const db = switchable('postgres');
    const { monitor, gaveUp, advance } = setup(null, [db.probe]);
    db.fail('down');
    await monitor.tick();
    advance(10_000_000);
    await monitor.tick();
    expect(gaveUp).toEqual([]);
  });
});

describe('postgresProbe', () => {
  it('reports a database nobody listens on as a problem, within its deadline', async () => {
    const started = Date.now();
    const problems = await postgresProbe('postgres://postgres@127.0.0.1:1/none').check(2_000);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^postgres: /);
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
