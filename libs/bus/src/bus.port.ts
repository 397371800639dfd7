/**
 * The one event-bus port. Services depend on this interface only; the Kafka adapter runs in the
 * distributed mode and the in-process adapter in the embedded devnet, with the same semantics:
 *
 * - publish resolves only after the record is durably appended (Kafka: acks from all in-sync
 *   replicas, idempotent producer), so a caller may commit its own input after it resolves;
 * - records with the same key go to the same partition and are handled in publish order (with
 *   `ordering: 'key'`, records of other keys in that partition may be handled meanwhile);
 * - delivery is at-least-once: a group's offset moves past a record only after its handler
 *   resolved (or after the record was dead-lettered), so handlers must be idempotent;
 * - a failing handler is retried in place with exponential backoff, holding back later records
 *   of that partition (ordering wins over progress: a transient outage must not reorder effects);
 * - a handler that throws PoisonMessageError sends the record to aegis.dead-letter.v1 with the
 *   reason, and the partition moves on at once;
 * - stop() lets the handler in hand finish (and commits it), abandons a pending retry (the record
 *   stays uncommitted and is redelivered to the next member of the group), then leaves the group.
 */
export interface EventBus {
  /** Appends one record; resolves once it is durable. */
  publish(topic: string, key: string, value: Uint8Array, headers?: RecordHeaders): Promise<void>;
  /** Appends several records (any topics) in one round trip where the adapter can. */
  publishBatch(records: readonly OutgoingRecord[]): Promise<void>;
  /**
   * Joins `groupId` for `topics` and starts handling records. Resolves once the consumer is a
   * member of the group (Kafka: after the first group join), so records published afterwards are
   * seen even with `fromBeginning: false`.
   */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * The next offset of each partition of `topic` now (index = partition; Kafka's high
   * watermarks): a consumer that has handled the record before each of them has seen everything
   * published so far. For read models that must be caught up before their owner takes work.
   */
  endOffsets(topic: string): Promise<bigint[]>;
  /** Stops every subscription (as Subscription.stop), then releases the producer. Idempotent. */
  close(): Promise<void>;
  /**
   * What keeps this bus from working right now, one line each ([] when nothing): the broker
   * not answering within `deadlineMs`, a producer whose sends keep failing, a consumer that
   * crashed for good or stopped fetching. Readiness probes ask it; adapters that cannot fail
   * (in-process) leave it out.
   */
  problems?(deadlineMs: number): Promise<string[]>;
}

/** Header values are UTF-8 strings: binary metadata belongs in the payload, where it is typed. */
export type RecordHeaders = Readonly<Record<string, string>>;

export interface OutgoingRecord {
  readonly topic: string;
  /** Partitioning key: records with equal keys keep their order. Non-empty. */
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers?: RecordHeaders;
}

/** A record as a handler sees it. */
export interface BusRecord {
  readonly topic: string;
  readonly partition: number;
  /** Position in the partition; with partition, the record's identity within the topic. */
  readonly offset: bigint;
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: RecordHeaders;
  /** Append time, ms since the epoch. */
  readonly timestamp: number;
  /** 1 on first delivery to this consumer; counts retries of the same record. */
  readonly attempt: number;
}

export type RecordHandler = (record: BusRecord) => Promise<void>;

export interface RetryPolicy {
  /**
   * Attempts before a failing record is dead-lettered (reason RETRIES_EXHAUSTED). Default
   * Infinity: a failure that is not a PoisonMessageError is presumed transient (database down),
   * and skipping the record would lose its effect.
   */
  readonly maxAttempts?: number;
  /** First backoff; doubles per attempt up to maxDelayMs. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Default 10 s. */
  readonly maxDelayMs?: number;
}

export interface SubscribeOptions {
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly handler: RecordHandler;
  /**
   * Where a group with no committed offset starts. Default true (earliest): a record published
   * before the group's first member joined is still handled.
   */
  readonly fromBeginning?: boolean;
  readonly retry?: RetryPolicy;
  /**
   * 'partition' (default): a partition's records are handled one at a time, in offset order.
   * 'key': records with the same key still one at a time in offset order, records with other keys
   * concurrently (up to KEY_ORDERED_WINDOW of a partition at once); the group's position moves
   * past a record only once it and every record before it are done, so a crash redelivers
   * whatever was not. The bus promises order per key only (two keys may hash to different
   * partitions), so a handler that is correct under that promise is correct under 'key'. For
   * handlers whose cost is per round trip (a statement, a transaction) and that merge concurrent
   * calls (BatchRunner): they see as many calls at once as a fetch holds, not one per partition.
   * A failing record is retried in place and holds back its key and the group's position.
   */
  readonly ordering?: DeliveryOrdering;
}

export type DeliveryOrdering = 'partition' | 'key';

/** With ordering 'key', how many consecutive records of one partition are in flight at most. */
export const KEY_ORDERED_WINDOW = 256;

export interface Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Graceful: finishes and commits the record in hand, then leaves the group. Idempotent. */
  stop(): Promise<void>;
}

/** Structured logger; pino's signature, so a pino logger fits as is. */
export interface BusLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const SILENT_LOGGER: BusLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
