import { TOPICS } from '@aegis/contracts';
import { BusError, BusErrorCode } from '../bus.errors';
import {
  KEY_ORDERED_WINDOW,
  SILENT_LOGGER,
  type BusLogger,
  type DeliveryOrdering,
  type EventBus,
  type OutgoingRecord,
  type BusRecord,
  type RecordHandler,
  type RecordHeaders,
  type SubscribeOptions,
  type Subscription,
} from '../bus.port';
import { deadLetterRecord } from '../dead-letter';
import { deliver, deliverByKey, resolveRetryPolicy, type DeliveryContext, type ResolvedRetryPolicy } from '../delivery';
import { checkOutgoing, checkSubscribe } from '../validation';
import { ChangeSignal, PartitionLog, partitionForKey } from './partition-log';

export interface InProcessEventBusOptions {
  /**
   * Topics that exist; publishing or subscribing elsewhere fails, as with a broker whose topic
   * auto-creation is off. aegis.dead-letter.v1 always exists.
   */
  readonly topics: readonly string[];
  /** Partitions per topic (3): more than one, so per-key ordering is exercised as in Kafka. */
  readonly partitions?: number;
  readonly logger?: BusLogger;
  /** Clock for record timestamps (ms). */
  readonly now?: () => number;
}

interface Member {
  readonly id: number;
  readonly topics: ReadonlySet<string>;
  readonly handler: RecordHandler;
  readonly policy: ResolvedRetryPolicy;
  readonly ordering: DeliveryOrdering;
  readonly abort: AbortController;
  stopping: boolean;
  inFlight: number;
  readonly idle: ChangeSignal;
}

interface Group {
  readonly id: string;
  members: Member[];
  /** `topic/partition` -> next offset to handle. */
  readonly committed: Map<string, number>;
  /** `topic/partition` of the pumps running for this group. */
  readonly pumps: Set<string>;
  readonly membership: ChangeSignal;
}

/**
 * The EventBus in one process, for the embedded devnet and unit tests: partitions by key hash,
 * consumer groups that split partitions among members, commit after the handler resolved,
 * in-place retry with backoff, dead-lettering. Records are kept for the life of the bus (a
 * devnet's worth), so a group that joins late still reads from the beginning.
 *
 * Each (group, partition) has one pump that hands records, one at a time, to the member that owns
 * the partition now; ownership is recomputed on every membership change, which is this adapter's
 * rebalance. One pump per partition is what gives per-key ordering within a group.
 */
export class InProcessEventBus implements EventBus {
  private readonly logs = new Map<string, PartitionLog[]>();
  private readonly groups = new Map<string, Group>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly logger: BusLogger;
  private readonly now: () => number;
  private nextMemberId = 1;
  private closed = false;

  private readonly partitions: number;

  constructor(options: InProcessEventBusOptions) {
    this.partitions = options.partitions ?? 3;
    for (const topic of new Set([...options.topics, TOPICS.deadLetter])) this.createTopic(topic);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.now = options.now ?? Date.now;
  }

  /** Adds a topic at run time (what `aegis kafka create-topics` is to a broker). Idempotent. */
  createTopic(topic: string, partitions = this.partitions): void {
    checkOutgoing({ topic, key: 'k', value: new Uint8Array(0) });
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
      throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'partitions', `must be an integer in [1, 1024], got ${partitions}`);
    }
    if (!this.logs.has(topic))
      this.logs.set(
        topic,
        Array.from({ length: partitions }, () => new PartitionLog()),
      );
  }

  async publish(topic: string, key: string, value: Uint8Array, headers?: RecordHeaders): Promise<void> {
    await this.publishBatch([{ topic, key, value, ...(headers ? { headers } : {}) }]);
  }

  async publishBatch(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new BusError(BusErrorCode.CLOSED, 'bus', 'the bus is closed');
    // Check everything first: a batch is appended whole or not at all.
    records.forEach((record, i) => {
      checkOutgoing(record, i);
      this.partitionsOf(record.topic, `records[${i}].topic`);
    });
    for (const record of records) this.append(record);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusError(BusErrorCode.CLOSED, 'bus', 'the bus is closed');
    checkSubscribe(options);
    options.topics.forEach((topic, i) => this.partitionsOf(topic, `topics[${i}]`));
    const policy = resolveRetryPolicy(options.retry);

    const group = this.groupFor(options.groupId);
    // A new group starts at the beginning, or at the end as of now: records published after
    // subscribe resolved are always seen.
    for (const topic of options.topics) {
      this.partitionsOf(topic, 'topics').forEach((log, p) => {
        const tp = `${topic}/${p}`;
        if (!group.committed.has(tp)) group.committed.set(tp, options.fromBeginning === false ? log.endOffset : 0);
      });
    }
    const member: Member = {
      id: this.nextMemberId++,
      topics: new Set(options.topics),
      handler: options.handler,
      policy,
      ordering: options.ordering ?? 'partition',
      abort: new AbortController(),
      stopping: false,
      inFlight: 0,
      idle: new ChangeSignal(),
    };
    group.members.push(member);
    group.membership.notify();
    for (const topic of options.topics) {
      this.partitionsOf(topic, 'topics').forEach((_, p) => this.ensurePump(group, topic, p));
    }

    let stopped: Promise<void> | undefined;
    const subscription: Subscription = {
      groupId: options.groupId,
      topics: [...options.topics],
      stop: () => (stopped ??= this.stopMember(group, member).finally(() => this.subscriptions.delete(subscription))),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }

  async endOffsets(topic: string): Promise<bigint[]> {
    return this.partitionsOf(topic, 'topic').map((log) => BigInt(log.endOffset));
  }

  private partitionsOf(topic: string, field: string): PartitionLog[] {
    const logs = this.logs.get(topic);
    if (!logs) throw new BusError(BusErrorCode.UNKNOWN_TOPIC, field, `topic ${topic} does not exist`);
    return logs;
  }

  private append(record: OutgoingRecord): void {
    const logs = this.partitionsOf(record.topic, 'topic');
    const log = logs[partitionForKey(record.key, logs.length)];
    // Copies: a caller reusing its buffer must not change what consumers read.
    log?.append({ key: record.key, value: record.value.slice(), headers: { ...(record.headers ?? {}) }, timestamp: this.now() });
  }

  private groupFor(id: string): Group {
    let group = this.groups.get(id);
    if (!group) {
      group = { id, members: [], committed: new Map(), pumps: new Set(), membership: new ChangeSignal() };
      this.groups.set(id, group);
    }
    return group;
  }

  /** The member that owns partition `p` of `topic` now, round-robin over the eligible members. */
  private owner(group: Group, topic: string, p: number): Member | undefined {
    const eligible = group.members.filter((m) => !m.stopping && m.topics.has(topic));
    return eligible.length === 0 ? undefined : eligible[p % eligible.length];
  }

  private ensurePump(group: Group, topic: string, p: number): void {
    const tp = `${topic}/${p}`;
    if (group.pumps.has(tp)) return;
    group.pumps.add(tp);
    void this.pump(group, topic, p).catch((err: unknown) => {
      // Unreachable unless the bus itself is broken; keep the failure visible.
      this.logger.error({ groupId: group.id, topic, partition: p, err: String(err) }, 'in-process pump failed');
    });
  }

  private async pump(group: Group, topic: string, p: number): Promise<void> {
    const tp = `${topic}/${p}`;
    const log = this.partitionsOf(topic, 'topic')[p];
    if (!log) return;
    for (;;) {
      const member = this.owner(group, topic, p);
      if (!member) {
        // Nobody left to consume: the pump ends, and the next subscribe starts a new one.
        group.pumps.delete(tp);
        return;
      }
      const offset = group.committed.get(tp) ?? 0;
      const stored = log.at(offset);
      if (!stored) {
        await Promise.race([log.nextAppend(), group.membership.next()]);
        continue;
      }
      const ctx: DeliveryContext = { groupId: group.id, policy: member.policy, signal: member.abort.signal, logger: this.logger };
      if (member.ordering === 'key') {
        await this.deliverWindowByKey(group, member, topic, p, log, offset, ctx);
        continue;
      }
      const record = { topic, partition: p, offset: BigInt(offset), ...stored };
      member.inFlight++;
      try {
        const outcome = await deliver(record, member.handler, ctx);
        switch (outcome.kind) {
          case 'handled':
            group.committed.set(tp, offset + 1);
            break;
          case 'dead-letter':
            this.append(deadLetterRecord(record, group.id, outcome.reason, outcome.detail, this.now()));
            group.committed.set(tp, offset + 1);
            break;
          case 'abandoned':
            break;
          default: {
            const unreachable: never = outcome;
            throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
          }
        }
      } finally {
        member.inFlight--;
        member.idle.notify();
      }
    }
  }

  /**
   * Ordering 'key': the records from `offset` on that are there now (up to KEY_ORDERED_WINDOW)
   * through deliverByKey, then the committed offset moved past those done in a row.
   */
  private async deliverWindowByKey(
    group: Group,
    member: Member,
    topic: string,
    p: number,
    log: PartitionLog,
    offset: number,
    ctx: DeliveryContext,
  ): Promise<void> {
    const records: Omit<BusRecord, 'attempt'>[] = [];
    for (let at = offset; records.length < KEY_ORDERED_WINDOW; at++) {
      const stored = log.at(at);
      if (!stored) break;
      records.push({ topic, partition: p, offset: BigInt(at), ...stored });
    }
    member.inFlight++;
    try {
      const { done } = await deliverByKey(records, member.handler, ctx, async (record, outcome) => {
        if (outcome.kind === 'dead-letter') this.append(deadLetterRecord(record, group.id, outcome.reason, outcome.detail, this.now()));
      });
      // Stopped mid-window: the pump picks the next owner, which starts at the first record not done.
      group.committed.set(`${topic}/${p}`, offset + done);
    } finally {
      member.inFlight--;
      member.idle.notify();
    }
  }

  private async stopMember(group: Group, member: Member): Promise<void> {
    member.stopping = true;
    member.abort.abort();
    group.membership.notify();
    while (member.inFlight > 0) await member.idle.next();
    group.members = group.members.filter((m) => m !== member);
    group.membership.notify();
  }
}
