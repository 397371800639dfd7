import type { EventBus } from '@aegis/bus';
import type { Logger } from 'pino';
import { Client } from 'pg';
import type { ServiceHealth } from './health';

/** One dependency readiness asks about: the problems it has now ([] when none). */
export interface ReadinessProbe {
  readonly name: string;
  check(deadlineMs: number): Promise<string[]>;
}

export interface ReadinessMonitorOptions {
  readonly probes: readonly ReadinessProbe[];
  /** How often every probe runs (default 5 s). */
  readonly intervalMs?: number;
  /** Each probe's deadline (default 3 s): a probe that does not answer is a problem. */
  readonly deadlineMs?: number;
  /**
   * The watchdog: problems for longer than this end the process (giveUp), so its supervisor
   * starts a fresh one. null: never (the devnet, tests: the caller owns the process).
   */
  readonly exitAfterMs: number | null;
  /** What the watchdog does; default logs nothing more and exits 1. */
  readonly giveUp?: (problems: readonly string[]) => void;
  readonly logger: Logger;
  readonly now?: () => number;
}

export const DEFAULT_PROBE_INTERVAL_MS = 5_000;
export const DEFAULT_PROBE_DEADLINE_MS = 3_000;

/**
 * Runs the readiness probes on an interval and hands their problems to ServiceHealth; the
 * watchdog exits the process once problems have lasted past `exitAfterMs`. Some failures are
 * cured only by a new process (a consumer kafkajs gave up on, state no retry can fix); the
 * watchdog makes "not ready for too long" one of them, so nothing stays wedged while reporting
 * itself alive. A service that declares itself out (the worker with no active key) is not a
 * problem: only probe failures count.
 */
export class ReadinessMonitor {
  private timer: NodeJS.Timeout | undefined;
  private failingSince: number | undefined;
  private running: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly health: ServiceHealth,
    private readonly options: ReadinessMonitorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer || this.options.probes.length === 0) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? DEFAULT_PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round of every probe (one at a time; a round still running is not started again). */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const deadlineMs = this.options.deadlineMs ?? DEFAULT_PROBE_DEADLINE_MS;
    const results = await Promise.all(
      this.options.probes.map(async (probe) => {
        try {
          return await probeWithin(probe, deadlineMs);
        } catch (err) {
          return [`${probe.name}: ${err instanceof Error ? err.message : String(err)}`];
        }
      }),
    );
    const problems = results.flat();
    const before = this.health.problems();
    this.health.setProblems(problems);
    if (problems.join('\n') !== before.join('\n')) {
      if (problems.length > 0) this.options.logger.warn({ problems }, 'not ready');
      else this.options.logger.info('ready again: every dependency answers');
    }
    this.watch(problems);
  }

  private watch(problems: readonly string[]): void {
    if (problems.length === 0) {
      this.failingSince = undefined;
      return;
    }
    const now = this.now();
    this.failingSince ??= now;
    const bound = this.options.exitAfterMs;
    if (bound === null || now - this.failingSince < bound) return;
    this.options.logger.fatal(
      { problems, notReadyMs: now - this.failingSince, boundMs: bound },
      'not ready for longer than the bound: exiting so the supervisor restarts the service',
    );
    // A giveUp that returns (tests) sees the next outage of the same length again.
    this.failingSince = undefined;
    (this.options.giveUp ?? (() => process.exit(1)))(problems);
  }
}

/** `probe.check`, with a problem instead of a wait when it has not answered by the deadline. */
async function probeWithin(probe: ReadinessProbe, deadlineMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([`${probe.name}: no answer within ${deadlineMs} ms`]), deadlineMs);
  });
  try {
    return await Promise.race([probe.check(deadlineMs), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Postgres answers `SELECT 1` on a connection of its own (the service's pool is not borrowed). */
export function postgresProbe(databaseUrl: string): ReadinessProbe {
  return {
    name: 'postgres',
    check: async (deadlineMs) => {
      const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: deadlineMs, query_timeout: deadlineMs });
      // An error event after the answer (the server going away) must not crash the process.
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return [];
      } catch (err) {
        return [`postgres: ${err instanceof Error ? err.message || err.constructor.name : String(err)}`];
      } finally {
        void client.end().catch(() => undefined);
      }
    },
  };
}

/** The bus's own problems (EventBus.problems), where the adapter has any. */
export function busProbe(bus: EventBus): ReadinessProbe | undefined {
  if (!bus.problems) return undefined;
  return { name: 'kafka', check: (deadlineMs) => bus.problems?.(deadlineMs) ?? Promise.resolve([]) };
}
