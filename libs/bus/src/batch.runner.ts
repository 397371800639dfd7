/**
 * Runs concurrent calls' items as batches: while one batch is in flight, later items queue, and
 * the next batch takes all of them (up to `maxItems`). There is no timer: an idle runner runs a
 * lone item at once, a busy one batches exactly what arrived during the last batch. Each caller
 * gets its own item's result.
 *
 * For work whose fixed cost per batch dominates (a transaction, a lock, a round trip) and whose
 * callers arrive concurrently, such as bus handlers of several partitions. If a batch of several
 * fails, each of its items is run again alone, so one item's failure (a constraint it violates,
 * a poison record) is reported to its caller only and the others still succeed. Rerunning is safe
 * when a batch is all-or-nothing (the tallier's: one transaction); where it is not (a Kafka
 * request may append part of its records, SendCoalescer), an item can take effect twice, which
 * consumers must already tolerate.
 */
export class BatchRunner<I, O> {
  private queue: { item: I; resolve: (out: O) => void; reject: (err: unknown) => void }[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    /** Runs a batch; must return one result per item, in order. */
    private readonly runBatch: (items: readonly I[]) => Promise<readonly O[]>,
    /** Upper bound of a batch's total size (an item larger than it still runs, alone). */
    private readonly maxItems = 64,
    /** An item's size towards maxItems (default 1: maxItems counts items). */
    private readonly sizeOf: (item: I) => number = () => 1,
  ) {
    if (!Number.isInteger(maxItems) || maxItems < 1) throw new RangeError('maxItems: must be a positive integer');
  }

  run(item: I): Promise<O> {
    return this.runAll([item])[0] as Promise<O>;
  }

  /**
   * Several items of one caller, queued together before a batch starts, so that an idle runner
   * runs them as one batch (up to maxItems) instead of the first alone. One promise per item.
   */
  runAll(items: readonly I[]): Promise<O>[] {
    const answers = items.map((item) => new Promise<O>((resolve, reject) => this.queue.push({ item, resolve, reject })));
    if (items.length > 0) this.draining ??= this.drain();
    return answers;
  }

  /** Resolves once every call so far has been answered. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          const outs = await this.runChecked(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(outs[i] as O));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]?.reject(err);
            continue;
          }
          for (const b of batch) {
            try {
              b.resolve((await this.runChecked([b.item]))[0] as O);
            } catch (alone) {
              b.reject(alone);
            }
          }
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** Items from the head of the queue up to maxItems in total size (at least one). */
  private takeBatch(): typeof this.queue {
    let size = 0;
    let n = 0;
    while (n < this.queue.length) {
      const next = this.sizeOf((this.queue[n] as (typeof this.queue)[number]).item);
      if (n > 0 && size + next > this.maxItems) break;
      size += next;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async runChecked(items: readonly I[]): Promise<readonly O[]> {
    const outs = await this.runBatch(items);
    if (outs.length !== items.length) throw new Error(`BatchRunner: ${outs.length} results for ${items.length} items`);
    return outs;
  }
}
