import type { OnApplicationBootstrap, OnModuleDestroy, Provider } from '@nestjs/common';
import { decodingHandler, type EventBus, type Subscription } from '@aegis/bus';
import { StakeView, TOPICS } from '@aegis/contracts';
import { EVENT_BUS } from './bootstrap/service-kit.constants';

/**
 * Keeps a StakeView current from aegis.stake-events.v1 (the ledger events that move a stake). The view lives in memory, so the group
 * must be this process's own and read from the beginning (every replica needs every stake);
 * pass a group id unique to the process start, e.g. `aegis.verifier.v1.<instance>.stake-view.<n>`.
 */
export function feedStakeView(bus: EventBus, view: StakeView, groupId: string): Promise<Subscription> {
  return bus.subscribe({
    topics: [TOPICS.stakeEvents],
    groupId,
    fromBeginning: true,
    handler: decodingHandler(TOPICS.stakeEvents, async (event) => {
      view.apply(event);
    }),
  });
}

/** Feeds a StakeView for as long as its Nest module lives (from bootstrap to destroy). */
class StakeViewFeed implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: Subscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly view: StakeView,
    /** The group prefix, or undefined when the caller keeps the view current itself. */
    private readonly groupPrefix: string | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.groupPrefix !== undefined) this.subscription = await feedStakeView(this.bus, this.view, `${this.groupPrefix}.stake-view.${Date.now()}`);
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }
}

export interface StakeViewSource {
  /** Given: the caller keeps it current. Absent: one is folded from aegis.stake-events.v1. */
  readonly stakeView?: StakeView;
  /** For the folded view: the minimum stake that makes a node active. */
  readonly minStake?: bigint;
}

/**
 * The providers of a service module's StakeView under `token`: the caller's view, or a fresh one
 * fed from aegis.stake-events.v1 for the module's lifetime by a group of this process's own
 * (`<groupPrefix>.stake-view.<start time>`, so every replica reads every stake from the start).
 */
export function stakeViewProviders(token: symbol, source: StakeViewSource, groupPrefix: string): Provider[] {
  const view = source.stakeView ?? new StakeView(source.minStake ?? 0n);
  const prefix = source.stakeView === undefined ? groupPrefix : undefined;
  return [
    { provide: token, useValue: view },
    { provide: Symbol(`${token.description ?? 'stake-view'}.feed`), useFactory: (bus: EventBus) => new StakeViewFeed(bus, view, prefix), inject: [EVENT_BUS] },
  ];
}
