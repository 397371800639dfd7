import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { SERVICE_LOGGER } from '@aegis/service-kit';
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
 * process died between COMMIT and the publish, and no redelivery came). One pass at a time;
 * stop() waits for the pass in hand, so the repository is never closed under it.
 */
@Injectable()
export class AnnouncementRelay implements OnApplicationBootstrap {
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ledger: LedgerService,
    @Inject(LEDGER_CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), ANNOUNCE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pass;
  }

  private tick(): Promise<void> {
    if (this.stopped || this.pass) return this.pass ?? Promise.resolve();
    this.pass = (async () => {
      try {
        const before = new Date(this.clock().getTime() - ANNOUNCE_GRACE_MS);
        const announced = await this.ledger.announceOverdue(before);
        if (announced > 0) this.logger.warn({ announced }, 'announced ledger commands whose LedgerEvent had not gone out (a crash between commit and publish)');
      } catch (err) {
        this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'ledger announcement pass failed; retried on the next tick');
      } finally {
        this.pass = undefined;
      }
    })();
    return this.pass;
  }
}
