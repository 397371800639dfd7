import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EventBus, Subscription } from '@aegis/bus';
import { StakeView } from '@aegis/contracts';
import { EVENT_BUS, feedStakeView } from '@aegis/service-kit';
import { InferenceService } from './inference/inference.service';
import { TaskIntake } from './inference/task.intake';
import { WORKER_OPTIONS, WORKER_STAKE_VIEW } from './worker.constants';
import { WorkerMetrics } from './worker.metrics';
import type { InferenceWorkerOptions } from './worker.options';

export interface InferenceWorkerModuleOptions {
  readonly options: InferenceWorkerOptions;
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.ledger-events.v1 (min stake below). */
  readonly stakeView?: StakeView;
  readonly minStake?: bigint;
}

const FEEDS = Symbol('inference-worker.FEEDS_STAKE_VIEW');

@Injectable()
class StakeViewLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: Subscription | undefined;
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(WORKER_STAKE_VIEW) private readonly view: StakeView,
    @Inject(WORKER_OPTIONS) private readonly options: InferenceWorkerOptions,
    @Inject(FEEDS) private readonly feeds: boolean,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    if (this.feeds) this.subscription = await feedStakeView(this.bus, this.view, `aegis.inference-worker.v1.${this.options.instanceId}.stake-view.${Date.now()}`);
  }
  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }
}

@Module({})
export class InferenceWorkerModule {
  static forRoot(config: InferenceWorkerModuleOptions): DynamicModule {
    return {
      module: InferenceWorkerModule,
      // No bus controller: TaskIntake holds the task subscription itself (it leaves the group when no key is active).
      providers: [
        { provide: WORKER_OPTIONS, useValue: config.options },
        { provide: WORKER_STAKE_VIEW, useValue: config.stakeView ?? new StakeView(config.minStake ?? 0n) },
        { provide: FEEDS, useValue: config.stakeView === undefined },
        StakeViewLifecycle,
        WorkerMetrics,
        InferenceService,
        TaskIntake,
      ],
      exports: [InferenceService, TaskIntake],
    };
  }
}
