import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import type { EventBus, Subscription } from '@aegis/bus';
import { StakeView } from '@aegis/contracts';
import { EVENT_BUS, feedStakeView } from '@aegis/service-kit';
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
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.ledger-events.v1. */
  readonly stakeView?: StakeView;
}

const FEEDS_STAKE_VIEW = Symbol('tallier.FEEDS_STAKE_VIEW');
const OWNED_DATA_SOURCE = Symbol('tallier.OWNED_DATA_SOURCE');

/** Subscribes the module's own stake view and releases what the module owns, in Nest's lifecycle. */
@Injectable()
class TallierLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private subscription: Subscription | undefined;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(TALLIER_STAKE_VIEW) private readonly view: StakeView,
    @Inject(TALLIER_OPTIONS) private readonly options: TallierOptions,
    @Inject(FEEDS_STAKE_VIEW) private readonly feeds: boolean,
    @Inject(OWNED_DATA_SOURCE) private readonly owned: DataSource | null,
    @Inject(TALLIER_STORE) private readonly store: TallierStore,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.feeds) return;
    // A fresh group per start: the view is in memory and must be rebuilt from the beginning.
    this.subscription = await feedStakeView(this.bus, this.view, `aegis.tallier.v1.${this.options.instanceId}.stake-view.${Date.now()}`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

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
        { provide: TALLIER_STAKE_VIEW, useValue: config.stakeView ?? new StakeView(config.options.minStake) },
        { provide: FEEDS_STAKE_VIEW, useValue: config.stakeView === undefined },
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
