import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import type { IngressConfig } from '../ingress.config';
import { INGRESS_CONFIG } from '../ingress.constants';
import { TasksRepository } from '../tasks/tasks.repository';
import { TasksService } from '../tasks/tasks.service';

/**
 * Republishes outbox rows a request stored but did not get to publish (crash, broker outage):
 * at start-up and then periodically. Rows younger than relayMinAgeMs are left to their request,
 * so the relay rarely duplicates; when it does, consumers are idempotent. Each pass also re-offers
 * idle tasks (TasksService.requeueStale).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly tasks: TasksRepository,
    private readonly service: TasksService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.runOnce(0);
    this.timer = setInterval(() => void this.runOnce(this.config.relayMinAgeMs), Math.min(this.config.relayIntervalMs, this.config.requeueAfterMs));
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; concurrent calls share it. */
  runOnce(minAgeMs: number): Promise<void> {
    this.running ??= (async () => {
      try {
        for (;;) {
          const batch = await this.tasks.unsent(minAgeMs, 500);
          if (batch.length === 0) return;
          const sent = await this.service.publishPending(batch);
          if (!sent || batch.length < 500) break;
        }
        await this.service.requeueStale();
      } catch (err) {
        this.logger.warn({ err: String(err) }, 'outbox relay pass failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
