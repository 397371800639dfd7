import { randomUUID } from 'node:crypto';
import { createKafkaTopics, deleteKafkaTopics, KafkaEventBus, type KafkaConnectionOptions } from '@aegis/bus';
import { createTopicMessage, encodeTopicMessage, LedgerOutcome, StakeView, TOPICS } from '@aegis/contracts';
import { testKafkaBrokers } from '@aegis/testing';
import { describe, expect, it } from 'vitest';
import { feedStakeView } from './stake-view.feeder';

const connection: KafkaConnectionOptions = { brokers: testKafkaBrokers(), clientId: 'aegis-stake-view-it' };
const address = (n: number): `0x${string}` => `0x${n.toString(16).padStart(40, '0')}`;

function stakeEvent(sequence: bigint, node: string, delta: bigint): Uint8Array {
  return encodeTopicMessage(
    TOPICS.stakeEvents,
    createTopicMessage(TOPICS.stakeEvents, {
      idempotencyKey: `k${sequence}`,
      outcome: LedgerOutcome.APPLIED,
      entry: { sequence, idempotencyKey: `k${sequence}`, postings: [{ account: `stake:${node}`, delta: delta.toString() }] },
    }),
  );
}

describe('stake view feed on a real broker', () => {
  it('a process started after the stakes were announced is caught up only once it has folded all of them', async () => {
    // A topic of the stake payload of this run's own: the shared broker's aegis.stake-events.v1 belongs to other suites.
    const topic = `stake-view.${randomUUID().slice(0, 8)}`;
    await createKafkaTopics(connection, { topics: [topic], partitions: 3, replicationFactor: 1 });
    const bus = new KafkaEventBus({ ...connection, sessionTimeoutMs: 6000 });
    try {
      const nodes = Array.from({ length: 30 }, (_, i) => address(i + 1));
      await bus.publishBatch(nodes.map((n, i) => ({ topic, key: `k${i}`, value: stakeEvent(BigInt(i + 1), n, 100n) })));
      const view = new StakeView(100n);
      const feed = await feedStakeView(bus, view, `stake-view-it.${topic}`, topic);
      try {
        await feed.caughtUp;
        // Nothing awaited after the catch-up: every stake is already in.
        expect(view.activeNodes().map((n) => n.address)).toEqual(nodes);
        expect(view.totalActiveStake()).toBe(3000n);
      } finally {
        await feed.subscription.stop();
      }
    } finally {
      await bus.close();
      await deleteKafkaTopics(connection, [topic]);
    }
  }, 60_000);
});
