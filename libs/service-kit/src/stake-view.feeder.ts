import { randomBytes } from 'node:crypto';
import type { OnApplicationBootstrap, OnModuleDestroy, Provider } from '@nestjs/common';
import {
  type BusRecord,
  decodingHandler,
  type EventBus,
  PoisonMessageError,
  recordKeyProblem,
  type Subscription,
  withTimeout,
} from '@aegis/bus';
import { LedgerOutcome, StakeView, TOPICS } from '@aegis/contracts';
import { EVENT_BUS } from './bootstrap/service-kit.constants';

export interface StakeViewFeedHandle {
  readonly subscription: Subscription;
  /**
   * Resolves once the view has folded every stake event published before the feed started (each
   * partition handled up to its end offset then): from then on it answers as its peers do.
   */
  readonly caughtUp: Promise<void>;
}

/**
 * Keeps a StakeView current from aegis.stake-events.v1 (the ledger events that move a stake). The
 * view lives in memory, so the group must be this process's own and read from the beginning
 * (every replica needs every stake); pass a group id unique to the process start, e.g.
 * `aegis.verifier.v1.<instance>.stake-view.<n>`.
 */
export async function feedStakeView(
  bus: EventBus,
  view: StakeView,
  groupId: string,
  /** aegis.stake-events.v1; another topic of the same payload only in tests on a shared broker. */
  topic: string = TOPICS.stakeEvents,
): Promise<StakeViewFeedHandle> {
  // Read before subscribing: whatever is published later is folded too, but is not waited for.
  const ends = await bus.endOffsets(topic);
  const behind = new Set(ends.flatMap((end, partition) => (end > 0n ? [partition] : [])));
  let markCaughtUp: () => void = () => undefined;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  if (behind.size === 0) markCaughtUp();
  const advance = (record: BusRecord): void => {
    if (behind.size > 0 && record.offset + 1n >= (ends[record.partition] ?? 0n)) {
      behind.delete(record.partition);
      if (behind.size === 0) markCaughtUp();
    }
  };
  const fold = decodingHandler(TOPICS.stakeEvents, async (event, record) => {
    const keyProblem = recordKeyProblem(TOPICS.stakeEvents, record.key);
    if (keyProblem !== undefined) throw new PoisonMessageError('invalid', 'key', keyProblem);
    // docs/events.md: UNSPECIFIED (or a value this build does not know) is invalid, not ignorable.
    if (!KNOWN_OUTCOMES.has(event.outcome))
      throw new PoisonMessageError('invalid', 'outcome', `not a known LedgerOutcome: ${event.outcome}`);
    view.apply(event);
  });
  const subscription = await bus.subscribe({
    topics: [topic],
    groupId,
    fromBeginning: true,
    handler: async (record) => {
      try {
        await fold(record);
      } catch (err) {
        // An undecodable record is dead-lettered and skipped: it must not hold the catch-up back.
        if (err instanceof PoisonMessageError) advance(record);
        throw err;
      }
      advance(record);
    },
  });
  return { subscription, caughtUp };
}

const KNOWN_OUTCOMES = new Set<number>(
  Object.values(LedgerOutcome).filter((v): v is number => typeof v === 'number' && v !== LedgerOutcome.UNSPECIFIED),
);

/** How long a service start waits for its stake view (a failed start restarts the pod, which retries). */
export const STAKE_VIEW_CATCH_UP_TIMEOUT_MS = 120_000;

/** Feeds a StakeView for as long as its Nest module lives (from bootstrap to destroy). */
class StakeViewFeed implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription: Subscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly view: StakeView,
    /** The group prefix, or undefined when the caller keeps the view current itself. */
    private readonly groupPrefix: string | undefined,
  ) {}

  /**
   * Nest runs this before bootstrapService starts the module's bus consumer and reports SERVING,
   * so the service takes no work on a partial view: a tallier that drew committees from part of
   * the stakes, or a verifier that thought itself unstaked and skipped a draw, would decide
   * differently from its peers.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.groupPrefix === undefined) return;
    // Start time plus a random tag: two processes that share a group would split the partitions,
    // and neither view would ever be complete.
    const feed = await feedStakeView(this.bus, this.view, `${this.groupPrefix}.stake-view.${Date.now()}.${randomBytes(4).toString('hex')}`);
    this.subscription = feed.subscription;
    await withTimeout(feed.caughtUp, STAKE_VIEW_CATCH_UP_TIMEOUT_MS, `the stake view did not catch up with ${TOPICS.stakeEvents}`);
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
 * (`<groupPrefix>.stake-view.<start time>.<random>`, so every replica reads every stake from the start).
 */
export function stakeViewProviders(token: symbol, source: StakeViewSource, groupPrefix: string): Provider[] {
  const view = source.stakeView ?? new StakeView(source.minStake ?? 0n);
  const prefix = source.stakeView === undefined ? groupPrefix : undefined;
  return [
    { provide: token, useValue: view },
    {
      provide: Symbol(`${token.description ?? 'stake-view'}.feed`),
      useFactory: (bus: EventBus) => new StakeViewFeed(bus, view, prefix),
      inject: [EVENT_BUS],
    },
  ];
}
