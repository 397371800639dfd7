import {
  type Admin,
  type Consumer,
  Kafka,
  Partitioners,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type Producer,
  type TopicMessages,
} from 'kafkajs';
import { BusError, BusErrorCode } from '../bus.errors';
import {
  KEY_ORDERED_WINDOW,
  SILENT_LOGGER,
  type BusLogger,
  type BusRecord,
  type EventBus,
  type OutgoingRecord,
  type RecordHeaders,
  type SubscribeOptions,
  type Subscription,
} from '../bus.port';
import { deadLetterRecord } from '../dead-letter';
import { deliver, deliverByKey, type DeliveryOutcome, type ResolvedRetryPolicy, resolveRetryPolicy } from '../delivery';
import { checkOutgoing, checkSubscribe } from '../validation';
import { withTimeout } from '../with-timeout';
import { partitionEndOffsets, withAdmin } from './kafka.admin';
import { checkIntegerOption, DEFAULT_REQUEST_TIMEOUT_MS, kafkaClientConfig, type KafkaConnectionOptions } from './kafka.options';
import { isFatalProducerError } from './producer-fatal';
import { SendCoalescer } from './send.coalescer';

export interface KafkaEventBusOptions extends KafkaConnectionOptions {
  /** Consumer session timeout (default 10 s): how long a dead member holds its partitions. */
  readonly sessionTimeoutMs?: number;
  /** Partitions one subscription handles at once (default 1); order within each stays strict. */
  readonly partitionsConsumedConcurrently?: number;
  /** How long subscribe waits for the first group join (default 60 s). */
  readonly joinTimeoutMs?: number;
  /**
   * Consumer fetches: the broker answers once `fetchMinBytes` are there or after
   * `fetchMaxWaitMs` (defaults 1 byte, 100 ms: answer as soon as anything is there, and poll an
   * idle partition ten times a second). Raising the minimum makes the broker hold a fetch until
   * records pile up, trading up to `fetchMaxWaitMs` of latency per hop for fewer fetch requests.
   * On the pipeline bench (2 cores, ~70 tasks/s) 64 KiB / 50 ms did not measurably lower the
   * broker's CPU per task against these defaults (A/B, docs/benchmarks.md), so they stay.
   */
  readonly fetchMaxWaitMs?: number;
  readonly fetchMinBytes?: number;
  /** problems(): sends failing without a success for this long make the producer a problem (default 30 s). */
  readonly producerStallMs?: number;
  /**
   * problems(): a consumer with no fetch, heartbeat or batch for this long is a problem (default
   * 120 s: above any one handler's run, which heartbeats only between retries).
   */
  readonly consumerStallMs?: number;
  /** Injected time for problems() (tests). */
  readonly now?: () => number;
}

/** What problems() knows of one subscription's consumer, from kafkajs's instrumentation events. */
interface ConsumerWatch {
  readonly groupId: string;
  lastActivityAt: number;
  /** Set when kafkajs gave up on the consumer (a crash it will not restart). */
  deadReason?: string;
}

export const DEFAULT_FETCH_MAX_WAIT_MS = 100;
export const DEFAULT_FETCH_MIN_BYTES = 1;

/**
 * The EventBus over Apache Kafka (kafkajs). Producer: idempotent, acks from all in-sync
 * replicas, one request in flight (so retries cannot reorder a key's records); publishes that
 * arrive while a request is in flight go out together in the next one (SendCoalescer), so
 * concurrent callers share round trips instead of queueing one behind another. Consumer:
 * eachBatch with offsets resolved only after the handler resolved and committed by kafkajs at
 * batch end and every second; a failing record is retried in place (heartbeating meanwhile),
 * poison records are dead-lettered through the same producer before their offset moves on.
 * Topics must exist (`aegis kafka create-topics`): auto-creation is off on both ends.
 */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private producer: Producer;
  /** How many times a wedged producer was replaced (a metric for operators and tests). */
  producerRecreations = 0;
  private readonly sender: SendCoalescer<OutgoingRecord>;
  private producerReady: Promise<void> | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private readonly watches = new Set<ConsumerWatch>();
  private readonly logger: BusLogger;
  private readonly now: () => number;
  /** When sends started failing with no success since (undefined while they succeed). */
  private sendFailingSince: number | undefined;
  private lastSendError = '';
  /** A connected admin client kept for problems()' broker round trip. */
  private probeAdmin: Promise<Admin> | undefined;
  private closed = false;

  constructor(private readonly options: KafkaEventBusOptions) {
    checkIntegerOption(options.fetchMaxWaitMs, 'fetchMaxWaitMs', 1, 10_000);
    checkIntegerOption(options.fetchMinBytes, 'fetchMinBytes', 1, 16 * 1024 * 1024);
    checkIntegerOption(options.requestTimeoutMs, 'requestTimeoutMs', 100, 300_000);
    this.kafka = new Kafka(kafkaClientConfig(options));
    checkIntegerOption(options.producerStallMs, 'producerStallMs', 1, 3_600_000);
    checkIntegerOption(options.consumerStallMs, 'consumerStallMs', 1, 3_600_000);
    this.logger = options.logger ?? SILENT_LOGGER;
    this.now = options.now ?? Date.now;
    this.producer = this.newProducer();
    this.sender = new SendCoalescer((records) => this.send(records));
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Bounded, unlike kafkajs's idempotent default (forever): a missing topic must surface.
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 },
    });
  }

  /**
   * Replaces a producer the broker no longer accepts (isFatalProducerError). Safe here: the
   * SendCoalescer runs one send at a time, so no request of the old producer is in flight. The
   * failed send still fails; its caller retries it (the outboxes), and a record the broker did
   * keep comes twice, which consumers absorb (they are idempotent).
   */
  private async recreateProducer(err: unknown): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    this.producerReady = undefined;
    this.producerRecreations += 1;
    this.logger.warn(
      { err: errorText(err), recreations: this.producerRecreations },
      'kafka producer wedged; replaced it with a new producer id',
    );
    await old.disconnect().catch(() => undefined);
  }

  async publish(topic: string, key: string, value: Uint8Array, headers?: RecordHeaders): Promise<void> {
    await this.publishBatch([{ topic, key, value, ...(headers ? { headers } : {}) }]);
  }

  async publishBatch(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new BusError(BusErrorCode.CLOSED, 'bus', 'the bus is closed');
    records.forEach((record, i) => checkOutgoing(record, i));
    if (records.length === 0) return;
    await this.sender.send(records);
  }

  /** One produce request (kafkajs sendBatch) for records of any topics. */
  private async send(records: readonly OutgoingRecord[]): Promise<void> {
    const byTopic = new Map<string, TopicMessages>();
    for (const record of records) {
      let entry = byTopic.get(record.topic);
      if (!entry) byTopic.set(record.topic, (entry = { topic: record.topic, messages: [] }));
      entry.messages.push({
        key: record.key,
        value: Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
        headers: { ...(record.headers ?? {}) },
      });
    }
    try {
      await this.connectProducer();
      // kafkajs waits max(requestTimeout, timeout) for a produce answer: both carry the one deadline.
      const timeout = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      await this.producer.sendBatch({ topicMessages: [...byTopic.values()], acks: -1, timeout });
      this.sendFailingSince = undefined;
    } catch (err) {
      this.sendFailingSince ??= this.now();
      this.lastSendError = errorText(err);
      if (isFatalProducerError(err) && !this.closed) await this.recreateProducer(err);
      throw new BusError(
        BusErrorCode.PUBLISH_FAILED,
        'topic',
        `publishing to ${[...byTopic.keys()].join(', ')} failed: ${errorText(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  async endOffsets(topic: string): Promise<bigint[]> {
    if (this.closed) throw new BusError(BusErrorCode.CLOSED, 'bus', 'the bus is closed');
    return withAdmin(this.kafka, async (admin) => {
      // Asked first: for a missing topic kafkajs would retry the offset request until it times out.
      if (!(await admin.listTopics()).includes(topic))
        throw new BusError(BusErrorCode.UNKNOWN_TOPIC, 'topic', `topic ${topic} does not exist`);
      return partitionEndOffsets(admin, topic);
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusError(BusErrorCode.CLOSED, 'bus', 'the bus is closed');
    checkSubscribe(options);
    const policy = resolveRetryPolicy(options.retry);
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(500, Math.floor((this.options.sessionTimeoutMs ?? 10_000) / 5)),
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? DEFAULT_FETCH_MAX_WAIT_MS,
      minBytes: this.options.fetchMinBytes ?? DEFAULT_FETCH_MIN_BYTES,
    });
    const abort = new AbortController();
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    const watch = this.watchConsumer(consumer, options.groupId);

    try {
      if (options.fromBeginning === false) await this.pinNewGroupToEnd(options.groupId, options.topics);
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: 1000,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.handleBatch(payload, options, policy, abort.signal),
      });
      await withTimeout(joined, this.options.joinTimeoutMs ?? 60_000, `group ${options.groupId} did not join`);
    } catch (err) {
      abort.abort();
      this.watches.delete(watch);
      await consumer.disconnect().catch(() => undefined);
      throw new BusError(
        BusErrorCode.SUBSCRIBE_FAILED,
        'topics',
        `subscribing ${options.groupId} to ${options.topics.join(', ')} failed: ${errorText(err)}`,
        {
          cause: err,
        },
      );
    }

    let stopped: Promise<void> | undefined;
    const subscription: Subscription = {
      groupId: options.groupId,
      topics: [...options.topics],
      stop: () =>
        (stopped ??= (async () => {
          // Ends a pending backoff; a running handler finishes, and kafkajs commits what resolved
          // before it leaves the group.
          abort.abort();
          this.watches.delete(watch);
          await consumer.disconnect();
          this.subscriptions.delete(subscription);
        })()),
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    // Publishes accepted before close are answered (sent or failed) before the producer goes.
    await this.sender.idle();
    if (this.producerReady) await this.producer.disconnect();
    const admin = this.probeAdmin;
    this.probeAdmin = undefined;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => undefined);
  }

  async problems(deadlineMs: number): Promise<string[]> {
    if (this.closed) return ['kafka: the bus is closed'];
    const now = this.now();
    const found: string[] = [];
    try {
      await withTimeout(
        this.adminForProbe().then((admin) => admin.describeCluster()),
        deadlineMs,
        'the broker did not answer',
      );
    } catch (err) {
      // A fresh admin next time: this one may hold a dead connection.
      const admin = this.probeAdmin;
      this.probeAdmin = undefined;
      void admin?.then((a) => a.disconnect()).catch(() => undefined);
      found.push(`kafka: ${errorText(err)}`);
    }
    const failingFor = this.sendFailingSince === undefined ? 0 : now - this.sendFailingSince;
    if (failingFor > (this.options.producerStallMs ?? 30_000)) {
      found.push(`kafka producer: every send failed for ${Math.round(failingFor / 1000)} s (last: ${this.lastSendError})`);
    }
    const stallMs = this.options.consumerStallMs ?? 120_000;
    for (const watch of this.watches) {
      if (watch.deadReason !== undefined) found.push(`kafka consumer ${watch.groupId}: crashed and will not restart (${watch.deadReason})`);
      else if (now - watch.lastActivityAt > stallMs) {
        found.push(
          `kafka consumer ${watch.groupId}: no fetch, heartbeat or batch for ${Math.round((now - watch.lastActivityAt) / 1000)} s`,
        );
      }
    }
    return found;
  }

  private adminForProbe(): Promise<Admin> {
    this.probeAdmin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    return this.probeAdmin;
  }

  /** Follows a consumer through kafkajs's instrumentation events for problems(). */
  private watchConsumer(consumer: Consumer, groupId: string): ConsumerWatch {
    const watch: ConsumerWatch = { groupId, lastActivityAt: this.now() };
    const alive = (): void => {
      watch.lastActivityAt = this.now();
    };
    for (const event of [
      consumer.events.FETCH_START,
      consumer.events.HEARTBEAT,
      consumer.events.START_BATCH_PROCESS,
      consumer.events.END_BATCH_PROCESS,
      consumer.events.GROUP_JOIN,
    ]) {
      consumer.on(event, alive);
    }
    consumer.on(consumer.events.CRASH, (event) => {
      const err = errorText(event.payload.error);
      this.logger.error({ groupId, err, restart: event.payload.restart }, 'kafka consumer crashed');
      // restart true: kafkajs rejoins by itself, and the stall check covers a rejoin that never comes.
      if (!event.payload.restart) watch.deadReason = err;
    });
    this.watches.add(watch);
    return watch;
  }

  /**
   * kafkajs resolves "latest" lazily, at the first fetch after the join, so a record published
   * between subscribe resolving and that fetch would be skipped. Committing the end offsets for
   * a group that has none closes that gap. A group that already has members or offsets keeps its
   * own (setOffsets refuses a group with live members, which is then already positioned).
   */
  private async pinNewGroupToEnd(groupId: string, topics: readonly string[]): Promise<void> {
    await withAdmin(this.kafka, async (admin) => {
      const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
      for (const { topic, partitions } of committed) {
        const unset = new Set(partitions.filter((p) => p.offset === '-1').map((p) => p.partition));
        if (unset.size === 0) continue;
        const ends = await admin.fetchTopicOffsets(topic);
        const offsets = ends.filter((e) => unset.has(e.partition)).map((e) => ({ partition: e.partition, offset: e.high }));
        await admin.setOffsets({ groupId, topic, partitions: offsets }).catch((err: unknown) => {
          this.logger.warn({ groupId, topic, err: errorText(err) }, 'could not pin a new group to the end; it starts at latest');
        });
      }
    });
  }

  private connectProducer(): Promise<void> {
    this.producerReady ??= this.producer.connect().catch((err: unknown) => {
      // Let the next publish try again rather than failing forever.
      this.producerReady = undefined;
      throw err;
    });
    return this.producerReady;
  }

  private async handleBatch(
    payload: EachBatchPayload,
    options: SubscribeOptions,
    policy: ResolvedRetryPolicy,
    signal: AbortSignal,
  ): Promise<void> {
    if (options.ordering === 'key') return this.handleBatchByKey(payload, options, policy, signal);
    const { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary } = payload;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || signal.aborted) return;
      const record = toRecord(batch.topic, batch.partition, message);
      const outcome = await deliver(record, options.handler, { groupId: options.groupId, policy, signal, logger: this.logger, heartbeat });
      switch (outcome.kind) {
        case 'abandoned':
          // Unresolved: the group's next owner of this partition gets the record again.
          return;
        case 'dead-letter':
          // If this throws, the batch fails unresolved and kafkajs fetches it again: no loss.
          await this.deadLetter(record, options.groupId, outcome);
          break;
        case 'handled':
          break;
        default: {
          const unreachable: never = outcome;
          throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
        }
      }
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  /**
   * handleBatch for ordering 'key': the fetched records in windows of KEY_ORDERED_WINDOW, each
   * delivered by deliverByKey; offsets resolved up to the first record not done, from where
   * kafkajs fetches again (after a stop, or a dead letter that could not be published: then the
   * error is rethrown, as the partition-ordered path does, once the done prefix is resolved).
   */
  private async handleBatchByKey(
    { batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload,
    options: SubscribeOptions,
    policy: ResolvedRetryPolicy,
    signal: AbortSignal,
  ): Promise<void> {
    const ctx = { groupId: options.groupId, policy, signal, logger: this.logger, heartbeat };
    for (let start = 0; start < batch.messages.length; start += KEY_ORDERED_WINDOW) {
      if (!isRunning() || isStale() || signal.aborted) return;
      const messages = batch.messages.slice(start, start + KEY_ORDERED_WINDOW);
      const records = messages.map((m) => toRecord(batch.topic, batch.partition, m));
      const { done, failure } = await deliverByKey(records, options.handler, ctx, async (record, outcome) => {
        if (outcome.kind === 'dead-letter') await this.deadLetter(record, options.groupId, outcome);
      });
      const resolved = messages[done - 1];
      if (resolved) resolveOffset(resolved.offset);
      await commitOffsetsIfNecessary();
      if (failure !== undefined) throw failure;
      if (done < messages.length) return;
      await heartbeat();
    }
  }

  /** Publishes `record` to aegis.dead-letter.v1 with the reason; the caller moves past it only if this resolves. */
  private async deadLetter(
    record: Omit<BusRecord, 'attempt'>,
    groupId: string,
    outcome: Extract<DeliveryOutcome, { kind: 'dead-letter' }>,
  ): Promise<void> {
    await this.publishBatch([deadLetterRecord(record, groupId, outcome.reason, outcome.detail, Date.now())]);
    this.logger.warn(
      { groupId, topic: record.topic, partition: record.partition, offset: record.offset.toString(), detail: outcome.detail },
      'record dead-lettered',
    );
  }
}

function toRecord(topic: string, partition: number, message: KafkaMessage): Omit<BusRecord, 'attempt'> {
  return {
    topic,
    partition,
    offset: BigInt(message.offset),
    key: message.key ? message.key.toString('utf8') : '',
    value: message.value ? new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.byteLength) : new Uint8Array(0),
    headers: headersOf(message.headers),
    timestamp: Number(message.timestamp),
  };
}

function headersOf(headers: IHeaders | undefined): RecordHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    // A repeated header keeps its first value: the bus writes each name once.
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
