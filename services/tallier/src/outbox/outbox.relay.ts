import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EventBus } from '@aegis/bus';
import { EVENT_BUS, SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { TALLIER_OPTIONS, TALLIER_STORE } from '../tallier.constants';
import type { TallierOptions } from '../tallier.options';
import type { TallierStore } from '../submissions/tallier.store';

const BATCH = 500;

/**
 * Publishes committed outbox rows, oldest first, then marks them sent. Runs after every commit,
 * at start-up, on an interval and once more at shutdown, so a crash between commit and publish
 * loses nothing (the rows go out on the next run; consumers are idempotent, so a row published
 * twice is harmless). One flush at a time: flushes requested while one runs are folded into one
 * follow-up run, so handlers that request a flush after their commit (requestFlush, not awaited:
 * the rows are durable at commit) share selects, produce requests and updates.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(TALLIER_STORE) private readonly store: TallierStore,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(TALLIER_OPTIONS) private readonly options: TallierOptions,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.flush();
    if (this.options.relayIntervalMs > 0) {
      this.timer = setInterval(() => void this.flush(), this.options.relayIntervalMs);
      this.timer.unref();
    }
  }

  /**
   * Nest's destroy hooks run after the bus subscriptions stopped (no handler commits any more)
   * and before the bus closes: one last flush sends what the last handlers committed.
   */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** After a commit: starts a flush, or folds into the running one, without waiting for it. */
  requestFlush(): void {
    void this.flush();
  }

  /** Never rejects: a failed publish leaves rows unsent for the next run. */
  flush(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.drain();
        } while (this.again);
      } catch (err) {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox publish failed; will retry');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async drain(): Promise<void> {
    for (;;) {
      const rows = await this.store.unsent(BATCH);
      if (rows.length === 0) return;
      await this.bus.publishBatch(rows.map((r) => r.record));
      await this.store.markSent(rows.map((r) => r.id));
      if (rows.length < BATCH) return;
    }
  }
}
