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
 * at start-up and on an interval, so a crash between commit and publish loses nothing (the rows
 * go out on the next run; consumers are idempotent, so a row published twice is harmless).
 * One flush at a time: a flush requested while one runs is folded into a follow-up run.
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

  onModuleDestroy(): Promise<void> | undefined {
    clearInterval(this.timer);
    return this.running;
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
