import { BatchRunner } from '../batch.runner';

/**
 * Merges concurrent sends into one request while the previous request is in flight.
 *
 * The idempotent Kafka producer allows one produce request in flight per broker, so N concurrent
 * `publish` calls used to cost N sequential round trips (each an fsync'd append with acks=all).
 * Here a caller's records join a queue; whenever no request is in flight, everything queued goes
 * out as one request. There is no linger timer: an idle producer sends at once, a busy one batches
 * exactly what arrived during the last round trip. Order is FIFO across callers, and a caller's
 * promise resolves only after the request carrying its records was acknowledged, so durability
 * per call is unchanged.
 *
 * If a merged request fails, each caller's records are sent again on their own, so one caller's
 * bad record (a topic that does not exist) fails only that caller. Records of a failed merged
 * request may have been appended in part; sending them again can duplicate some, which
 * at-least-once delivery already allows (consumers are idempotent).
 */
export class SendCoalescer<T> {
  private readonly runner: BatchRunner<readonly T[], void>;

  constructor(
    flush: (items: readonly T[]) => Promise<void>,
    /** Upper bound of items per merged request (a caller's own list is never split). */
    maxItems = 1_000,
  ) {
    this.runner = new BatchRunner<readonly T[], void>(
      async (lists) => {
        await flush(lists.flat());
        return lists.map(() => undefined);
      },
      maxItems,
      (list) => list.length,
    );
  }

  send(items: readonly T[]): Promise<void> {
    return this.runner.run(items);
  }

  /** Resolves once every send so far has been answered (close waits on it before disconnecting). */
  idle(): Promise<void> {
    return this.runner.idle();
  }
}
