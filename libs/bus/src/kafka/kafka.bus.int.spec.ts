import { TOPICS } from '@aegis/contracts';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BusErrorCode } from '../bus.errors';
import { describeEventBusConformance } from '../event-bus.conformance';
import { createKafkaTopics, deleteKafkaTopics, topicRecordCounts } from './kafka.admin';
import { KafkaEventBus } from './kafka.bus';
import type { KafkaConnectionOptions } from './kafka.options';
import { testKafkaBrokers } from '@aegis/testing';

// The broker deploy/local/kafka.sh starts (from the integration global setup).
const connection: KafkaConnectionOptions = {
  brokers: testKafkaBrokers(),
  clientId: 'aegis-bus-conformance',
};
const run = randomUUID().slice(0, 8);
let topicCount = 0;
let groupCount = 0;

describeEventBusConformance('KafkaEventBus', async () => {
  await createKafkaTopics(connection, { topics: [TOPICS.deadLetter], partitions: 3, replicationFactor: 1 });
  // Short sessions: the group tests rebalance several times and must stay within the suite budget.
  const bus = new KafkaEventBus({ ...connection, sessionTimeoutMs: 6000 });
  const created: string[] = [];
  return {
    bus,
    freshTopic: async (partitions = 3) => {
      const topic = `conformance.${run}.t${++topicCount}`;
      await createKafkaTopics(connection, { topics: [topic], partitions, replicationFactor: 1 });
      created.push(topic);
      return topic;
    },
    freshGroup: () => `conformance.${run}.g${++groupCount}`,
    close: async () => {
      await bus.close();
      await deleteKafkaTopics(connection, created);
    },
    timeoutMs: 30_000,
  };
});

describe('KafkaEventBus against a real broker', () => {
  it('fails a publish to a topic that does not exist instead of creating it', async () => {
    const sut = new KafkaEventBus({ ...connection });
    try {
      await expect(sut.publish(`missing.${run}`, 'k', new Uint8Array(1))).rejects.toMatchObject({ code: BusErrorCode.PUBLISH_FAILED });
    } finally {
      await sut.close();
    }
  });

  it('creates topics idempotently and reports the existing ones with their partition count', async () => {
    const topic = `admin.${run}`;
    try {
      const first = await createKafkaTopics(connection, { topics: [topic], partitions: 2, replicationFactor: 1 });
      const second = await createKafkaTopics(connection, { topics: [topic], partitions: 5, replicationFactor: 1 });
      expect(first.created).toEqual([topic]);
      expect(second.created).toEqual([]);
      expect(second.existing).toEqual([{ topic, partitions: 2 }]);
    } finally {
      await deleteKafkaTopics(connection, [topic]);
    }
  });

  it('creates a topic with its settings, and reports (without changing) an existing topic whose settings differ', async () => {
    const kept = `kept.${run}`;
    const plain = `plain.${run}`;
    const forever = { 'retention.ms': '-1', 'retention.bytes': '-1' };
    const configOf = (t: string): Record<string, string> => (t === kept ? forever : {});
    try {
      const first = await createKafkaTopics(connection, { topics: [kept, plain], partitions: 1, replicationFactor: 1, configOf });
      expect(first.created).toEqual([kept, plain]);
      expect(first.configDrift).toEqual([]);
      // Read back through the same path: the created topic carries its settings, so no drift.
      const again = await createKafkaTopics(connection, { topics: [kept, plain], partitions: 1, replicationFactor: 1, configOf });
      expect(again.configDrift).toEqual([]);
      // `plain` took the broker's retention (deploy/local/kafka.sh: 24 h; retention.bytes is
      // unlimited by default, so it matches): asking for the kept settings reports only retention.ms.
      const askForever = { topics: [plain], partitions: 1, replicationFactor: 1, configOf: () => forever };
      const drift = await createKafkaTopics(connection, askForever);
      expect(drift.configDrift.map((d) => [d.topic, d.name, d.expected])).toEqual([[plain, 'retention.ms', '-1']]);
      expect(drift.configDrift[0]?.actual).toMatch(/^[0-9]+$/);
      expect((await createKafkaTopics(connection, askForever)).configDrift).toEqual(drift.configDrift);
    } finally {
      await deleteKafkaTopics(connection, [kept, plain]);
    }
  });

  it('counts the records appended to each topic across its partitions, and names a missing topic', async () => {
    const topic = `counts.${run}`;
    await createKafkaTopics(connection, { topics: [topic], partitions: 3, replicationFactor: 1 });
    const sut = new KafkaEventBus({ ...connection });
    try {
      const before = await topicRecordCounts(connection, [topic]);
      await sut.publishBatch(['a', 'b', 'c', 'd', 'e'].map((key) => ({ topic, key, value: new Uint8Array([1]) })));
      const after = await topicRecordCounts(connection, [topic]);
      expect(before.get(topic)).toBe(0n);
      expect(after.get(topic)).toBe(5n);
      await expect(topicRecordCounts(connection, [topic, `absent.${run}`])).rejects.toMatchObject({
        code: BusErrorCode.INVALID_ARGUMENT,
        field: 'topics',
      });
    } finally {
      await sut.close();
      await deleteKafkaTopics(connection, [topic]);
    }
  });
});
