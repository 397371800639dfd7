import type { RecordHeaders } from '../bus.port';

export interface StoredRecord {
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: RecordHeaders;
  readonly timestamp: number;
}

/**
 * A wake-up for everyone waiting on a change. All waiters of one generation share one promise, so
 * a waiter that lost a Promise.race leaves nothing behind.
 */
export class ChangeSignal {
  private wake: (() => void) | undefined;
  private pending: Promise<void> | undefined;

  next(): Promise<void> {
    this.pending ??= new Promise((resolve) => (this.wake = resolve));
    return this.pending;
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    this.pending = undefined;
    wake?.();
  }
}

/** An append-only partition: offsets are array indexes. */
export class PartitionLog {
  private readonly records: StoredRecord[] = [];
  private readonly appended = new ChangeSignal();

  get endOffset(): number {
    return this.records.length;
  }

  append(record: StoredRecord): number {
    this.records.push(record);
    this.appended.notify();
    return this.records.length - 1;
  }

  at(offset: number): StoredRecord | undefined {
    return this.records[offset];
  }

  /** Resolves on the next append. */
  nextAppend(): Promise<void> {
    return this.appended.next();
  }
}

/**
 * FNV-1a over the key's UTF-8 bytes: stable across runs and processes, which is all partitioning
 * needs (the Kafka adapter uses the client's murmur2; the two need not agree).
 */
export function partitionForKey(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
