import { createKafkaTopics, deleteKafkaTopics, KafkaEventBus, topicRecordCounts, type OutgoingRecord } from '@aegis/bus';
import { freezeTestBroker, testKafkaBrokers, testServer, waitFor } from '@aegis/testing';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { InMemoryTallierStore } from '../testing/in-memory-tallier.store';
import { tallierTestOptions } from '../testing/tallier.fixtures';
import { OutboxRelay } from './outbox.relay';

// The tallier's outbox relay on the real broker through the faults that wedged it (issue 16): its
// idempotent producer kept a producer id whose sequence the broker had moved past, and every later
// send failed with "out of order sequence number" until the process restarted.
const brokers = testKafkaBrokers();
const run = randomUUID().slice(0, 8);
// Short request deadline so a frozen broker fails sends within seconds, as a 30 s one would in 40 s.
const REQUEST_TIMEOUT_MS = 1500;

interface Harness {
  bus: KafkaEventBus;
  store: InMemoryTallierStore;
  relay: OutboxRelay;
  failures: () => number;
  enqueue: (n: number) => void;
  unsent: () => number;
  close: () => Promise<void>;
}

function harness(topic: string): Harness {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const bus = new KafkaEventBus({ brokers, clientId: `relay-fault-${run}`, requestTimeoutMs: REQUEST_TIMEOUT_MS, logger });
  const store = new InMemoryTallierStore();
  const relay = new OutboxRelay(store, bus, { ...tallierTestOptions(new ManualClock()), relayIntervalMs: 100 }, logger);
  let next = 0;
  return {
    bus,
    store,
    relay,
    failures: () => lines.filter((l) => l.includes('outbox publish failed')).length,
    enqueue: (n) => {
      for (let i = 0; i < n; i++) {
        const record: OutgoingRecord = { topic, key: `k${next}`, value: new TextEncoder().encode(`v${next}`) };
        store.tables.outbox.push({ id: String(next++), record, sent: false });
      }
      relay.requestFlush();
    },
    unsent: () => store.tables.outbox.filter((r) => !r.sent).length,
    close: async () => {
      await relay.onModuleDestroy();
      await bus.close();
    },
  };
}

async function recordsIn(topic: string): Promise<number> {
  const counts = await topicRecordCounts({ brokers, clientId: `relay-fault-count-${run}` }, [topic]);
  return Number(counts.get(topic) ?? 0n);
}

describe('outbox relay on a real broker that freezes and restarts', () => {
  const topics = [`relay-fault.${run}.freeze`, `relay-fault.${run}.restart`];
  beforeAll(async () => {
    await createKafkaTopics({ brokers, clientId: `relay-fault-admin-${run}` }, { topics, partitions: 1, replicationFactor: 1 });
  });
  afterAll(async () => {
    await deleteKafkaTopics({ brokers, clientId: `relay-fault-admin-${run}` }, topics);
  });

  it('replaces the producer the broker wedged after a freeze and drains the outbox', async () => {
    const topic = topics[0] ?? '';
    const h = harness(topic);
    await h.relay.onApplicationBootstrap();
    let thaw: (() => void) | undefined;
    try {
      h.enqueue(1);
      await waitFor('the first row sent', () => h.unsent() === 0);

      // Frozen: the next produce (one row) sits in the broker's socket; the client gives up on
      // it (the request deadline, then its bounded retries) and rolls its sequence number back.
      thaw = freezeTestBroker();
      h.enqueue(1);
      // Let that drain take its one row before more arrive (the in-memory store answers at once).
      await new Promise((resolve) => setImmediate(resolve));
      // Three more: the relay's next produce carries four records from the same sequence number.
      h.enqueue(3);
      await waitFor('a failed flush while the broker is frozen', () => h.failures() > 0, { timeoutMs: 60_000 });
      thaw();
      await waitFor('the outbox drained', () => h.unsent() === 0, { timeoutMs: 90_000 });

      expect(h.bus.producerRecreations).toBeGreaterThanOrEqual(1);
      // Every row is on the topic (the abandoned produce may have landed too: at least once).
      expect(await recordsIn(topic)).toBeGreaterThanOrEqual(5);
      // And the replaced producer keeps working.
      h.enqueue(2);
      await waitFor('later rows sent', () => h.unsent() === 0);
    } finally {
      thaw?.();
      await h.close();
    }
  });

  it('drains the outbox after the broker is stopped and started again', async () => {
    const topic = topics[1] ?? '';
    const h = harness(topic);
    await h.relay.onApplicationBootstrap();
    let stopped = false;
    try {
      h.enqueue(2);
      await waitFor('the first rows sent', () => h.unsent() === 0);
      testServer('kafka', 'stop');
      stopped = true;
      h.enqueue(3);
      await waitFor('a failed flush while the broker is down', () => h.failures() > 0, { timeoutMs: 60_000 });
      h.enqueue(2);
      testServer('kafka', 'start');
      stopped = false;
      await waitFor('the outbox drained', () => h.unsent() === 0, { timeoutMs: 90_000 });
      expect(await recordsIn(topic)).toBeGreaterThanOrEqual(7);
    } finally {
      if (stopped) testServer('kafka', 'start');
      await h.close();
    }
  });
});
