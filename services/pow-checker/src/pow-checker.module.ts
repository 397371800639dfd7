import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { decodingHandler, type EventBus, routeByTopic, type Subscription } from '@aegis/bus';
import { type StakeView, TOPICS } from '@aegis/contracts';
import { EVENT_BUS, stakeViewProviders } from '@aegis/service-kit';
import { PowCheckController } from './checking/pow-check.controller';
import { PowCheckService } from './checking/pow-check.service';
import { SubmissionCache } from './checking/submission.cache';
import type { SubmissionLookup } from './checking/submission.lookup';
import { CHECKER_OPTIONS, CHECKER_STAKE_VIEW, CHECKER_SUBMISSION_LOOKUP } from './pow-checker.constants';
import { PowCheckerMetrics } from './pow-checker.metrics';
import type { PowCheckerOptions } from './pow-checker.options';

export interface PowCheckerModuleOptions {
  readonly options: PowCheckerOptions;
  /** Given: the caller keeps it current. Absent: the module folds one from aegis.stake-events.v1. */
  readonly stakeView?: StakeView;
  readonly minStake?: bigint;
  /** Cache misses are asked here (the tallier's SubmissionQuery); absent, a miss is retried then dead-lettered. */
  readonly submissionLookup?: SubmissionLookup;
}

/** This replica's own consumer groups (it must read every submission and every stake) start with this. */
const checkerGroupPrefix = (instanceId: string): string => `aegis.pow-checker.v1.${instanceId}`;

/** Every replica needs every submission in its cache: a group of its own, read from the beginning. */
@Injectable()
class CacheFeeds implements OnApplicationBootstrap, OnModuleDestroy {
  private subscriptions: Subscription[] = [];
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(CHECKER_OPTIONS) private readonly options: PowCheckerOptions,
    private readonly cache: SubmissionCache,
    @Optional() @Inject(CHECKER_SUBMISSION_LOOKUP) private readonly lookup?: SubmissionLookup,
  ) {}
  async onApplicationBootstrap(): Promise<void> {
    this.subscriptions.push(
      await this.bus.subscribe({
        topics: [TOPICS.submissions, TOPICS.disputes],
        groupId: `${checkerGroupPrefix(this.options.instanceId)}.submissions.${Date.now()}`,
        fromBeginning: true,
        handler: routeByTopic({
          [TOPICS.submissions]: decodingHandler(TOPICS.submissions, async (s) => this.cache.addSubmission(s)),
          [TOPICS.disputes]: decodingHandler(TOPICS.disputes, async (d) => this.cache.addDispute(d)),
        }),
      }),
    );
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
        ...stakeViewProviders(CHECKER_STAKE_VIEW, config, checkerGroupPrefix(config.options.instanceId)),
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
