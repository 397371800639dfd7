import 'reflect-metadata';
import { type BusRecord, type EventBus, InProcessEventBus } from '@aegis/bus';
import { ALL_TOPICS, createTopicMessage, decodeTopicMessage, encodeTopicMessage, LedgerOutcome, StakeView, TOPICS } from '@aegis/contracts';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { waitFor } from '@aegis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_BUS } from './bootstrap/service-kit.constants';
import { feedStakeView, stakeViewProviders } from './stake-view.feeder';

const address = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`;
const VIEW = Symbol('test.stake-view');

function stakeEvent(sequence: bigint, node: string, delta: bigint, outcome = LedgerOutcome.APPLIED): Uint8Array {
  const event = createTopicMessage(TOPICS.stakeEvents, {
    idempotencyKey: `k${sequence}`,
    outcome,
    entry: { sequence, idempotencyKey: `k${sequence}`, postings: [{ account: `stake:${node}`, delta: delta.toString() }] },
  });
  return encodeTopicMessage(TOPICS.stakeEvents, event);
}

/**
 * The in-process bus hands records over within the same macrotask; a broker's arrive later. This
 * delays each delivery by one macrotask, so a caller that did not wait for the catch-up would
 * see an incomplete view.
 */
function brokerLike(bus: EventBus): EventBus {
  return {
    publish: (...args) => bus.publish(...args),
    publishBatch: (records) => bus.publishBatch(records),
    endOffsets: (topic) => bus.endOffsets(topic),
    close: () => bus.close(),
    subscribe: (options) =>
      bus.subscribe({
        ...options,
        handler: async (record) => options.handler(await new Promise<BusRecord>((resolve) => setImmediate(() => resolve(record)))),
      }),
  };
}

describe('stake view feed', () => {
  let bus: InProcessEventBus;
  afterEach(async () => bus?.close());

  it('reports caught up only once every stake event published before it started is folded, skipping poison', async () => {
    bus = new InProcessEventBus({ topics: ALL_TOPICS, partitions: 3 });
    const nodes = [1, 2, 3, 4, 5, 6].map(address);
    // Keys spread over the partitions; a poison record last in one of them must not hold it back.
    await bus.publishBatch(nodes.map((n, i) => ({ topic: TOPICS.stakeEvents, key: `k${i}`, value: stakeEvent(BigInt(i + 1), n, 100n) })));
    await bus.publish(TOPICS.stakeEvents, 'k0', new Uint8Array([0xff, 0xff, 0xff]));
    const view = new StakeView(50n);
    const feed = await feedStakeView(brokerLike(bus), view, 'test.feed');
    await feed.caughtUp;
    expect(view.activeNodes().map((n) => n.address)).toEqual(nodes);
    // Later events are folded too.
    await bus.publish(TOPICS.stakeEvents, 'k9', stakeEvent(9n, address(7), 60n));
    await waitFor('the later stake', () => view.isActive(address(7) as `0x${string}`));
    await feed.subscription.stop();
  });

  it('dead-letters a stake event with outcome UNSPECIFIED instead of skipping it silently', async () => {
    bus = new InProcessEventBus({ topics: ALL_TOPICS });
    const deadLetters: string[] = [];
    const probe = await bus.subscribe({
      topics: [TOPICS.deadLetter],
      groupId: 'test.dlq',
      handler: async (r) => void deadLetters.push(decodeTopicMessage(TOPICS.deadLetter, r.value).detail),
    });
    await bus.publish(TOPICS.stakeEvents, 'k1', stakeEvent(1n, address(1), 100n, LedgerOutcome.UNSPECIFIED));
    await bus.publish(TOPICS.stakeEvents, 'k2', stakeEvent(2n, address(2), 100n));
    const view = new StakeView(50n);
    const feed = await feedStakeView(bus, view, 'test.feed');
    await feed.caughtUp;
    await waitFor('the dead letter', () => deadLetters.length === 1);
    expect(deadLetters[0]).toContain('outcome');
    expect(view.activeNodes().map((n) => n.address)).toEqual([address(2)]);
    await feed.subscription.stop();
    await probe.stop();
  });

  it('is caught up at once on an empty topic', async () => {
    bus = new InProcessEventBus({ topics: ALL_TOPICS });
    const feed = await feedStakeView(bus, new StakeView(0n), 'test.empty');
    await feed.caughtUp;
    await feed.subscription.stop();
  });

  it("holds a Nest module's start until its stake view has caught up", async () => {
    bus = new InProcessEventBus({ topics: ALL_TOPICS });
    await bus.publishBatch(
      [1, 2, 3].map((n) => ({ topic: TOPICS.stakeEvents, key: `k${n}`, value: stakeEvent(BigInt(n), address(n), 10n) })),
    );
    @Module({
      providers: [{ provide: EVENT_BUS, useValue: brokerLike(bus) }, ...stakeViewProviders(VIEW, { minStake: 10n }, 'test.module')],
    })
    class FeedModule {}
    const app = await NestFactory.createApplicationContext(FeedModule, { logger: false });
    try {
      await app.init();
      // No waiting after init: the view must already be complete.
      expect(app.get<StakeView>(VIEW).activeNodes()).toHaveLength(3);
    } finally {
      await app.close();
    }
  });
});
