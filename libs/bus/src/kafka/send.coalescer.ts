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
  private queue: { items: readonly T[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly flush: (items: readonly T[]) => Promise<void>,
    /** Upper bound of items per merged request (a caller's own list is never split). */
    private readonly maxItems = 1_000,
  ) {
    if (!Number.isInteger(maxItems) || maxItems < 1) throw new RangeError('maxItems: must be a positive integer');
  }

  send(items: readonly T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves once every send so far has been answered (close waits on it before disconnecting). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.takeGroup();
        const items = group.flatMap((g) => g.items);
        try {
          await this.flush(items);
          for (const g of group) g.resolve();
        } catch (err) {
          if (group.length === 1) group[0]?.reject(err);
          else await this.sendAlone(group);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** Callers from the head of the queue, up to maxItems (at least one). */
  private takeGroup(): typeof this.queue {
    let count = 0;
    let n = 0;
    while (n < this.queue.length) {
      const size = this.queue[n]?.items.length ?? 0;
      if (n > 0 && count + size > this.maxItems) break;
      count += size;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async sendAlone(group: typeof this.queue): Promise<void> {
    for (const g of group) {
      try {
        await this.flush(g.items);
        g.resolve();
      } catch (err) {
        g.reject(err);
      }
    }
  }
}
