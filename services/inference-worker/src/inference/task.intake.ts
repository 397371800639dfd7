import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type BusRecord, type EventBus, PoisonMessageError, type Subscription } from '@aegis/bus';
import { CONSUMER_GROUPS, ContractsError, decodeTopicMessage, TOPICS } from '@aegis/contracts';
import { EVENT_BUS, SERVICE_HEALTH, SERVICE_LOGGER, type ServiceHealth } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { WORKER_OPTIONS } from '../worker.constants';
import { WorkerError, WorkerErrorCode } from '../worker.errors';
import { WorkerMetrics } from '../worker.metrics';
import type { InferenceWorkerOptions } from '../worker.options';
import { InferenceService } from './inference.service';

/** How often the stake view is re-read to leave or rejoin the group (AEGIS-independent; tests shorten it). */
export const DEFAULT_KEY_CHECK_INTERVAL_MS = 1_000;

/**
 * The worker's membership in the task consumer group, held only while one of its node keys is
 * active. A worker with no active key (every key liquidated or unstaked, or not staked yet) could
 * only retry a task forever and hold back every record of its partitions; instead it hands the
 * record back uncommitted (the failed attempt is abandoned when the subscription stops, so the
 * next member of the group gets it: a task is never lost), leaves the group, and reports health
 * NOT_SERVING. It rejoins, and reports SERVING, when a key becomes active again.
 *
 * The subscription is this class's, not the bootstrap's, because leaving and rejoining the group
 * at run time is the point; bootstrapService stops it through onModuleDestroy on shutdown.
 */
@Injectable()
export class TaskIntake implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Membership changes run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private everJoined = false;
  private markJoined: () => void = () => undefined;
  /**
   * Resolves the first time this process joins the task group (a key of it seen staked), so a
   * caller that starts workers and then hands out work (the devnet) can wait until every worker
   * can be given a task instead of letting the first to join take them all.
   */
  readonly firstJoin: Promise<void> = new Promise<void>((resolve) => (this.markJoined = resolve));

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(SERVICE_HEALTH) private readonly health: ServiceHealth,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(WORKER_OPTIONS) private readonly options: InferenceWorkerOptions,
    private readonly inference: InferenceService,
    private readonly metrics: WorkerMetrics,
  ) {}

  /** True while this process is a member of the task consumer group. */
  get consuming(): boolean {
    return this.subscription !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    const interval = this.options.keyCheckIntervalMs ?? DEFAULT_KEY_CHECK_INTERVAL_MS;
    this.timer = setInterval(() => void this.reconcile(), interval);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.enqueue(async () => {
      await this.subscription?.stop();
      this.subscription = undefined;
    });
  }

  /** Joins or leaves the group to match the stake view now. Safe to call at any time. */
  reconcile(): Promise<void> {
    return this.enqueue(async () => {
      if (this.stopped) return;
      const active = this.inference.activeKeyCount();
      this.metrics.activeKeys.set(active);
      if (active > 0 && !this.subscription) await this.join();
      else if (active === 0 && this.subscription) await this.leave();
      // Re-asserted while out: the bootstrap marks the service SERVING once it has started.
      else if (active === 0) this.health.set('NOT_SERVING');
    });
  }

  private async join(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      topics: [TOPICS.tasks],
      groupId: CONSUMER_GROUPS.inferenceWorker,
      handler: (record) => this.handle(record),
    });
    this.metrics.consuming.set(1);
    this.health.set('SERVING');
    if (this.everJoined) this.logger.info({ nodes: this.addresses() }, 'a node key is active again: rejoined the task consumer group');
    this.everJoined = true;
    this.markJoined();
  }

  private async leave(): Promise<void> {
    this.health.set('NOT_SERVING');
    this.logger.warn(
      { nodes: this.addresses() },
      'no node key of this worker is active (liquidated, unstaked or not yet staked): left the task consumer group; other workers take its partitions; health NOT_SERVING until a key is active',
    );
    const subscription = this.subscription;
    this.subscription = undefined;
    this.metrics.consuming.set(0);
    await subscription?.stop();
  }

  private async handle(record: BusRecord): Promise<void> {
    let task;
    try {
      task = decodeTopicMessage(TOPICS.tasks, record.value);
    } catch (e) {
      if (e instanceof ContractsError) throw new PoisonMessageError('undecodable', e.field, e.message, { cause: e });
      throw e;
    }
    try {
      await this.inference.onTask(task);
    } catch (e) {
      // Not awaited: stop() waits for this handler. The bus then abandons the record's retry
      // (uncommitted), and the group redelivers it to another worker.
      if (e instanceof WorkerError && e.code === WorkerErrorCode.NO_ACTIVE_KEY) void this.reconcile();
      throw e;
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    // A failed join (broker down) is logged and tried again on the next check.
    this.queue = run.catch((err: unknown) =>
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'task consumer group change failed'),
    );
    return run;
  }

  private addresses(): string[] {
    return this.options.keys.map((k) => k.address);
  }
}
