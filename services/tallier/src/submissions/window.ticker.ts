import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { TALLIER_OPTIONS } from '../tallier.constants';
import type { TallierOptions } from '../tallier.options';
import { TallierService } from './tallier.service';

/** Runs the window clock on an interval; one tick at a time, so a slow tick never overlaps the next. */
@Injectable()
export class WindowTicker implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly tallier: TallierService,
    @Inject(TALLIER_OPTIONS) private readonly options: TallierOptions,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.tickIntervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.tallier
        .tick()
        .then(() => undefined)
        .catch((err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'window tick failed; will retry'))
        .finally(() => (this.running = undefined));
    }, this.options.tickIntervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
