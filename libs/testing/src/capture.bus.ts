import type { EventBus, OutgoingRecord } from '@aegis/bus';

/**
 * An EventBus that only records what a unit under test publishes, for service tests that assert
 * on outgoing messages without a consumer side (subscribe is not supported).
 */
export class CaptureBus implements EventBus {
  readonly records: OutgoingRecord[] = [];

  async publish(topic: string, key: string, value: Uint8Array): Promise<void> {
    this.records.push({ topic, key, value });
  }

  async publishBatch(records: readonly OutgoingRecord[]): Promise<void> {
    this.records.push(...records);
  }

  subscribe(): never {
    throw new Error('CaptureBus records publications only; use InProcessEventBus to consume');
  }

  endOffsets(): never {
    throw new Error('CaptureBus records publications only; use InProcessEventBus to consume');
  }

  async close(): Promise<void> {}
}
