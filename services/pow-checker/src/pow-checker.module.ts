import { type DynamicModule, Inject, Injectable, Module, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { decodingHandler, type EventBus, routeByTopic, type Subscription } from '@aegis/bus';
import { StakeView, TOPICS } from '@aegis/contracts';
import { EVENT_BUS, feedStakeView } from '@aegis/service-kit';
import { PowCheckController } from './checking/pow-check.controller';
import { PowCheckService } from './checking/pow-check.service';
import { SubmissionCache } from './checking/submission.cache';
import type { SubmissionLookup } from './checking/submission.lookup';
import { CHECKER_OPTIONS, CHECKER_STAKE_VIEW, CHECKER_SUBMISSION_LOOKUP } from './pow-checker.constants';
import { PowCheckerMetrics } from './pow-checker.metrics';
import type { PowCheckerOptions } from './pow-checker.options';

export interface PowCheckerModuleOptions {
  readonly options: PowCheckerOptions;
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.ledger-events.v1. */
  readonly stakeView?: StakeView;
  readonly minStake?: bigint;
  /** Cache misses are asked here (the tallier's SubmissionQuery); absent, a miss is retried then dead-lettered. */
  readonly submissionLookup?: SubmissionLookup;
}

const FEEDS = Symbol('pow-checker.FEEDS_STAKE_VIEW');

/** Every replica needs every submission in its cache: a group of its own, read from the beginning. */
@Injectable()
class CacheFeeds implements OnApplicationBootstrap, OnModuleDestroy {
  private subscriptions: Subscription[] = [];
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(CHECKER_STAKE_VIEW) private readonly view: StakeView,
    @Inject(CHECKER_OPTIONS) private readonly options: PowCheckerOptions,
    @Inject(FEEDS) private readonly feeds: boolean,
    private readonly cache: SubmissionCache,
    @Optional() @Inject(CHECKER_SUBMISSION_LOOKUP) private readonly lookup?: SubmissionLookup,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    const prefix = `aegis.pow-checker.v1.${this.options.instanceId}`;
    const start = Date.now();
    this.subscriptions.push(
      await this.bus.subscribe({
        topics: [TOPICS.submissions, TOPICS.disputes],
        groupId: `${prefix}.submissions.${start}`,
        fromBeginning: true,
        handler: routeByTopic({
          [TOPICS.submissions]: decodingHandler(TOPICS.submissions, async (s) => this.cache.addSubmission(s)),
          [TOPICS.disputes]: decodingHandler(TOPICS.disputes, async (d) => this.cache.addDispute(d)),
        }),
      }),
    );
    if (this.feeds) this.subscriptions.push(await feedStakeView(this.bus, this.view, `${prefix}.stake-view.${start}`));
  }
  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
    this.lookup?.close?.();
  }
}

@Module({})
export class PowCheckerModule {
  static forRoot(config: PowCheckerModuleOptions): DynamicModule {
    return {
      module: PowCheckerModule,
      controllers: [PowCheckController],
      providers: [
        { provide: CHECKER_OPTIONS, useValue: config.options },
        { provide: CHECKER_STAKE_VIEW, useValue: config.stakeView ?? new StakeView(config.minStake ?? 0n) },
        { provide: FEEDS, useValue: config.stakeView === undefined },
        ...(config.submissionLookup ? [{ provide: CHECKER_SUBMISSION_LOOKUP, useValue: config.submissionLookup }] : []),
        SubmissionCache,
        PowCheckerMetrics,
        CacheFeeds,
        PowCheckService,
      ],
      exports: [PowCheckService, SubmissionCache],
    };
  }
}
