import type { Logger } from 'pino';

export interface PeriodicJobOptions {
  /** Named in log lines. */
  readonly name: string;
  /** How often the job runs on its own; 0 or less: only when triggered (tests drive it by hand). */
  readonly intervalMs: number;
  readonly logger: Logger;
  /** Run once as soon as start() is called (default false). */
  readonly runAtStart?: boolean;
  /** Log level of a failed run (default warn: the next run retries). */
  readonly failureLevel?: 'warn' | 'error';
}

/**
 * The one shape of every background pass in the services (outbox relays, the window clock, the
 * ledger's announcement backstop): a timer that never keeps the process alive, one run at a time
 * (a tick that finds one running is skipped), explicit triggers that arrive during a run folded
 * into one follow-up run, failures logged and retried by
 * the next run instead of thrown, and a stop that waits for the run in hand, so nothing it uses
 * is closed under it.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly options: PeriodicJobOptions,
  ) {}

  start(): void {
    if (this.stopped || this.timer) return;
    if (this.options.runAtStart) void this.trigger();
    if (this.options.intervalMs > 0) {
      // A tick that finds a run in progress is skipped, not folded: the interval is a floor, not a queue.
      this.timer = setInterval(() => {
        if (!this.running) void this.trigger();
      }, this.options.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Runs the job now, or, if a run is in progress, once more right after it. Resolves when the
   * run that covers this trigger has finished; never rejects.
   */
  trigger(): Promise<void> {
    if (this.stopped) return this.running ?? Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          try {
            await this.run();
          } catch (err) {
            this.options.logger[this.options.failureLevel ?? 'warn'](
              { job: this.options.name, err: err instanceof Error ? err.message : String(err) },
              `${this.options.name} failed; the next run retries`,
            );
          }
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** No more runs after this; waits for the one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
