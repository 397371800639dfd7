import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicJob, SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { LEDGER_CLOCK, type Clock } from '../ledger.constants';
import { LedgerService } from './ledger.service';

/** A command counts as overdue this long after it was applied (a live publish takes milliseconds). */
export const ANNOUNCE_GRACE_MS = 30_000;
/** How often the relay looks for overdue commands. */
export const ANNOUNCE_INTERVAL_MS = 10_000;

/**
 * The ledger's backstop for announcements: every ANNOUNCE_INTERVAL_MS it announces the commands
 * applied more than ANNOUNCE_GRACE_MS ago whose LedgerEvent was never marked published (the
 * process died between COMMIT and the publish, and no redelivery came). A PeriodicJob: one pass
 * at a time, and stop() waits for the pass in hand, so the repository is never closed under it.
 */
@Injectable()
export class AnnouncementRelay implements OnApplicationBootstrap {
  private readonly job: PeriodicJob;

  constructor(
    private readonly ledger: LedgerService,
    @Inject(LEDGER_CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.job = new PeriodicJob(() => this.pass(), {
      name: 'ledger announcement pass',
      intervalMs: ANNOUNCE_INTERVAL_MS,
      logger,
      failureLevel: 'error',
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  private async pass(): Promise<void> {
    const before = new Date(this.clock().getTime() - ANNOUNCE_GRACE_MS);
    const announced = await this.ledger.announceOverdue(before);
    if (announced > 0)
      this.logger.warn({ announced }, 'announced ledger commands whose LedgerEvent had not gone out (a crash between commit and publish)');
  }
}
