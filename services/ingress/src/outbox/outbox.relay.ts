import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicJob, SERVICE_LOGGER } from '@aegis/service-kit';
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
  private readonly job: PeriodicJob;
  /** The first pass (start-up) takes every unsent row: no request of this process holds one yet. */
  private minAgeMs = 0;

  constructor(
    private readonly tasks: TasksRepository,
    private readonly service: TasksService,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    this.job = new PeriodicJob(() => this.pass(), {
      name: 'outbox relay pass',
      intervalMs: Math.min(config.relayIntervalMs, config.requeueAfterMs),
      logger,
      runAtStart: true,
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.job.stop();
  }

  /** One pass now, taking rows at least `minAgeMs` old (tests pass 0); concurrent calls share a run. */
  runOnce(minAgeMs: number): Promise<void> {
    this.minAgeMs = minAgeMs;
    return this.job.trigger();
  }

  private async pass(): Promise<void> {
    const minAgeMs = this.minAgeMs;
    this.minAgeMs = this.config.relayMinAgeMs;
    for (;;) {
      const batch = await this.tasks.unsent(minAgeMs, 500);
      if (batch.length === 0) break;
      const sent = await this.service.publishPending(batch);
      if (!sent || batch.length < 500) break;
    }
    await this.service.requeueStale();
  }
}
