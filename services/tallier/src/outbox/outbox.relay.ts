import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EventBus } from '@aegis/bus';
import { EVENT_BUS, PeriodicJob, SERVICE_LOGGER } from '@aegis/service-kit';
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
  private readonly job: PeriodicJob;

  constructor(
    @Inject(TALLIER_STORE) private readonly store: TallierStore,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(TALLIER_OPTIONS) options: TallierOptions,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    this.job = new PeriodicJob(() => this.drain(), { name: 'outbox publish', intervalMs: options.relayIntervalMs, logger });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.flush();
    this.job.start();
  }

  /**
   * Nest's destroy hooks run after the bus subscriptions stopped (no handler commits any more)
   * and before the bus closes: one last flush sends what the last handlers committed.
   */
  async onModuleDestroy(): Promise<void> {
    await this.flush();
    await this.job.stop();
  }

  /** After a commit: starts a flush, or folds into the running one, without waiting for it. */
  requestFlush(): void {
    void this.job.trigger();
  }

  /** Never rejects: a failed publish leaves rows unsent for the next run. */
  flush(): Promise<void> {
    return this.job.trigger();
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
