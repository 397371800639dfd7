import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EventBus, Subscription } from '@aegis/bus';
import { instanceConsumerGroup, StakeView } from '@aegis/contracts';
import { EVENT_BUS, feedStakeView } from '@aegis/service-kit';
import { VerificationController } from './verification/verification.controller';
import { VerificationService } from './verification/verification.service';
import { VERIFIER_OPTIONS, VERIFIER_STAKE_VIEW } from './verifier.constants';
import type { VerifierOptions } from './verifier.options';

export interface VerifierModuleOptions {
  readonly options: VerifierOptions;
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.ledger-events.v1. */
  readonly stakeView?: StakeView;
  readonly minStake?: bigint;
}

/** Each verifier process must see every submission: its group is its own. */
export function verifierConsumerGroup(instanceId: string): string {
  return instanceConsumerGroup('verifier', instanceId);
}

const FEEDS = Symbol('verifier.FEEDS_STAKE_VIEW');

@Injectable()
class StakeViewLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: Subscription | undefined;
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(VERIFIER_STAKE_VIEW) private readonly view: StakeView,
    @Inject(VERIFIER_OPTIONS) private readonly options: VerifierOptions,
    @Inject(FEEDS) private readonly feeds: boolean,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    if (this.feeds) this.subscription = await feedStakeView(this.bus, this.view, `${verifierConsumerGroup(this.options.instanceId)}.stake-view.${Date.now()}`);
  }
  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }
}

@Module({})
export class VerifierModule {
  static forRoot(config: VerifierModuleOptions): DynamicModule {
    return {
      module: VerifierModule,
      controllers: [VerificationController],
      providers: [
        { provide: VERIFIER_OPTIONS, useValue: config.options },
        { provide: VERIFIER_STAKE_VIEW, useValue: config.stakeView ?? new StakeView(config.minStake ?? 0n) },
        { provide: FEEDS, useValue: config.stakeView === undefined },
        StakeViewLifecycle,
        VerificationService,
      ],
      exports: [VerificationService],
    };
  }
}
