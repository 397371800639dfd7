import { type DynamicModule, Module } from '@nestjs/common';
import type { StakeView } from '@aegis/contracts';
import { stakeViewProviders } from '@aegis/service-kit';
import { InferenceService } from './inference/inference.service';
import { TaskIntake } from './inference/task.intake';
import { WORKER_OPTIONS, WORKER_STAKE_VIEW } from './worker.constants';
import { WorkerMetrics } from './worker.metrics';
import type { InferenceWorkerOptions } from './worker.options';

export interface InferenceWorkerModuleOptions {
  readonly options: InferenceWorkerOptions;
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.stake-events.v1 (min stake below). */
  readonly stakeView?: StakeView;
  readonly minStake?: bigint;
}

@Module({})
export class InferenceWorkerModule {
  static forRoot(config: InferenceWorkerModuleOptions): DynamicModule {
    return {
      module: InferenceWorkerModule,
      // No bus controller: TaskIntake holds the task subscription itself (it leaves the group when no key is active).
      providers: [
        { provide: WORKER_OPTIONS, useValue: config.options },
        ...stakeViewProviders(WORKER_STAKE_VIEW, config, `aegis.inference-worker.v1.${config.options.instanceId}`),
        WorkerMetrics,
        InferenceService,
        TaskIntake,
      ],
      exports: [InferenceService, TaskIntake],
    };
  }
}
