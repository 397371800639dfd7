import { InProcessEventBus, type OutgoingRecord } from '@aegis/bus';
import { ALL_TOPICS, StakeView, TOPICS } from '@aegis/contracts';
import { waitFor } from '@aegis/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock';
import { TallierService } from '../submissions/tallier.service';
import { TallierMetrics } from '../tallier.metrics';
import { InMemoryTallierStore } from '../testing/in-memory-tallier.store';
import { resultMessage, tallierTestOptions, taskSpec, testKey } from '../testing/tallier.fixtures';
import { OutboxRelay } from './outbox.relay';

const submitter = testKey(0);

/** A bus whose publishes wait until released: shows what a handler waits for and what it does not. */
function gatedBus(): { bus: InProcessEventBus; published: OutgoingRecord[][]; release: () => void } {
  const bus = new InProcessEventBus({ topics: ALL_TOPICS });
  const published: OutgoingRecord[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  vi.spyOn(bus, 'publishBatch').mockImplementation(async (records) => {
    await gate;
    published.push([...records]);
  });
  return { bus, published, release: () => open() };
}

function setup(): { store: InMemoryTallierStore; relay: OutboxRelay; sut: TallierService; gated: ReturnType<typeof gatedBus> } {
  const clock = new ManualClock();
  const store = new InMemoryTallierStore();
  const stakes = new StakeView(100n);
  for (let i = 0; i < 4; i++) stakes.set(testKey(i).address, 1_000n);
  const options = tallierTestOptions(clock);
  const logger = pino({ level: 'silent' });
  const gated = gatedBus();
  const relay = new OutboxRelay(store, gated.bus, options, logger);
  const sut = new TallierService(store, stakes, clock, options, logger, relay, new TallierMetrics(new Registry()));
  return { store, relay, sut, gated };
}

describe('OutboxRelay', () => {
  it('a result handler returns at commit, before the publish; the relay then sends what committed', async () => {
    const { store, sut, gated } = setup();
    expect(await sut.onResult(resultMessage(submitter, taskSpec(1n)), 1)).toBe('recorded');
    // The handler did not wait for the (still blocked) publish: its rows are committed and unsent.
    expect(store.tables.outbox.map((r) => r.sent)).toEqual([false, false]);
    expect(await sut.onResult(resultMessage(submitter, taskSpec(2n)), 1)).toBe('recorded');
    gated.release();
    await waitFor('all rows sent', () => store.tables.outbox.every((r) => r.sent));
    // Concurrent requests fold: the first run's rows, then one follow-up run for the rest.
    expect(gated.published.flat().map((r) => r.topic)).toEqual([
      TOPICS.submissions,
      TOPICS.taskStatus,
      TOPICS.submissions,
      TOPICS.taskStatus,
    ]);
    expect(gated.published.length).toBeLessThanOrEqual(2);
  });

  it('flushes what committed once more at shutdown', async () => {
    const { store, relay, sut, gated } = setup();
    gated.release();
    await sut.onResult(resultMessage(submitter, taskSpec(1n)), 1);
    // A row committed with no flush requested (as if its handler's request had failed).
    await store.transaction((tx) => tx.enqueue([{ topic: TOPICS.tasks, key: 'k', value: new Uint8Array([1]) }]));
    await relay.onModuleDestroy();
    expect(store.tables.outbox.every((r) => r.sent)).toBe(true);
    expect(gated.published.flat().map((r) => r.topic)).toContain(TOPICS.tasks);
  });
});
