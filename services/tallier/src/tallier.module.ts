import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { StakeView } from '@aegis/contracts';
import { stakeViewProviders } from '@aegis/service-kit';
import type { DataSource } from 'typeorm';
import { systemClock } from './clock';
import { OutboxRelay } from './outbox/outbox.relay';
import { SubmissionQueryController } from './query/submission-query.controller';
import { TallierController } from './submissions/tallier.controller';
import { TallierRepository } from './submissions/tallier.repository';
import { TallierService } from './submissions/tallier.service';
import type { TallierStore } from './submissions/tallier.store';
import { WindowTicker } from './submissions/window.ticker';
import { TallierMetrics } from './tallier.metrics';
import { TALLIER_CLOCK, TALLIER_OPTIONS, TALLIER_STAKE_VIEW, TALLIER_STORE } from './tallier.constants';
import type { TallierOptions } from './tallier.options';

export interface TallierModuleOptions {
  readonly options: TallierOptions;
  /** Postgres with schema `tallier` migrated; or `store` (unit tests). */
  readonly dataSource?: DataSource;
  readonly store?: TallierStore;
  /** Destroy `dataSource` when the module stops (main.ts built it); false when the caller shares it. */
  readonly ownsDataSource?: boolean;
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.stake-events.v1. */
  readonly stakeView?: StakeView;
}

const OWNED_DATA_SOURCE = Symbol('tallier.OWNED_DATA_SOURCE');

/** Releases what the module owns, in Nest's lifecycle. */
@Injectable()
class TallierLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(OWNED_DATA_SOURCE) private readonly owned: DataSource | null,
    @Inject(TALLIER_STORE) private readonly store: TallierStore,
  ) {}

  /**
   * After every destroy hook: Nest runs a module's destroy hooks concurrently, and the relay's
   * last flush and the ticker's last tick (both destroy hooks) still use the database.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close?.();
    if (this.owned?.isInitialized) await this.owned.destroy();
  }
}

@Module({})
export class TallierModule {
  static forRoot(config: TallierModuleOptions): DynamicModule {
    const store = config.store ?? (config.dataSource ? new TallierRepository(config.dataSource) : undefined);
    if (!store) throw new Error('TallierModule: give a dataSource or a store');
    return {
      module: TallierModule,
      controllers: [TallierController, SubmissionQueryController],
      providers: [
        { provide: TALLIER_OPTIONS, useValue: config.options },
        { provide: TALLIER_STORE, useValue: store },
        { provide: TALLIER_CLOCK, useValue: config.options.clock ?? systemClock },
        // Absent a view from the caller, one fed from aegis.stake-events.v1 by a group of this start's own.
        ...stakeViewProviders(
          TALLIER_STAKE_VIEW,
          { stakeView: config.stakeView, minStake: config.options.minStake },
          `aegis.tallier.v1.${config.options.instanceId}`,
        ),
        { provide: OWNED_DATA_SOURCE, useValue: config.ownsDataSource && config.dataSource ? config.dataSource : null },
        TallierLifecycle,
        TallierMetrics,
        OutboxRelay,
        TallierService,
        WindowTicker,
      ],
      exports: [TallierService],
    };
  }
}
