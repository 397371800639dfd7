import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicJob, SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { TALLIER_OPTIONS } from '../tallier.constants';
import type { TallierOptions } from '../tallier.options';
import { TallierService } from './tallier.service';

/** Runs the window clock on an interval (a PeriodicJob: a slow tick never overlaps the next). */
@Injectable()
export class WindowTicker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly job: PeriodicJob;

  constructor(tallier: TallierService, @Inject(TALLIER_OPTIONS) options: TallierOptions, @Inject(SERVICE_LOGGER) logger: Logger) {
    this.job = new PeriodicJob(() => tallier.tick(), { name: 'window tick', intervalMs: options.tickIntervalMs, logger });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.job.stop();
  }
}
