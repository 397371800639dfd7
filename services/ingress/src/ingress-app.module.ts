import { type DynamicModule, Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import type { IngressConfig } from './ingress.config';
import { INGRESS_CONFIG, MODEL_CATALOG } from './ingress.constants';
import { LedgerClient } from './ledger/ledger.client';
import type { ModelCatalog } from './models/model.catalog';
import { OutboxRelay } from './outbox/outbox.relay';
import { StatusNotifier } from './status/status.notifier';
import { TaskStatusController } from './status/task-status.controller';
import { TaskStatusService } from './status/task-status.service';
import { TasksController } from './tasks/tasks.controller';
import { TasksRepository } from './tasks/tasks.repository';
import { TasksService } from './tasks/tasks.service';

export interface IngressAppOptions {
  readonly config: IngressConfig;
  readonly catalog: ModelCatalog;
  readonly repository: TasksRepository;
  readonly ledger: LedgerClient;
}

@Injectable()
class IngressLifecycle implements OnModuleDestroy {
  constructor(
    @Inject(TasksRepository) private readonly repository: TasksRepository,
    @Inject(LedgerClient) private readonly ledger: LedgerClient,
  ) {}
  async onModuleDestroy(): Promise<void> {
    this.ledger.close();
    await this.repository.close();
  }
}

/** Ingress: TaskIngress gRPC, the task-status consumer, the outbox relay. */
@Module({})
export class IngressAppModule {
  static forRoot(options: IngressAppOptions): DynamicModule {
    return {
      module: IngressAppModule,
      controllers: [TasksController, TaskStatusController],
      providers: [
        { provide: INGRESS_CONFIG, useValue: options.config },
        { provide: MODEL_CATALOG, useValue: options.catalog },
        { provide: TasksRepository, useValue: options.repository },
        { provide: LedgerClient, useValue: options.ledger },
        StatusNotifier,
        TasksService,
        TaskStatusService,
        OutboxRelay,
        IngressLifecycle,
      ],
    };
  }
}
