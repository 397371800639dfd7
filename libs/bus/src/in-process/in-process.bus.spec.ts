import { describe, expect, it } from 'vitest';
import { BusError, BusErrorCode } from '../bus.errors';
import { describeEventBusConformance } from '../event-bus.conformance';
import { InProcessEventBus } from './in-process.bus';

let topicCount = 0;
let groupCount = 0;

describeEventBusConformance('InProcessEventBus', async () => {
  const bus = new InProcessEventBus({ topics: [] });
  return {
    bus,
    freshTopic: async (partitions = 3) => {
      const topic = `conformance.t${++topicCount}`;
      bus.createTopic(topic, partitions);
      return topic;
    },
    freshGroup: () => `conformance.g${++groupCount}`,
    close: () => bus.close(),
    timeoutMs: 5_000,
  };
});

describe('InProcessEventBus', () => {
  it('refuses topics that do not exist, naming the argument', async () => {
    const sut = new InProcessEventBus({ topics: ['a.v1'] });
    await expect(sut.publish('b.v1', 'k', new Uint8Array(1))).rejects.toMatchObject({
      code: BusErrorCode.UNKNOWN_TOPIC,
      field: 'records[0].topic',
    });
    await expect(sut.subscribe({ topics: ['b.v1'], groupId: 'g', handler: async () => undefined })).rejects.toMatchObject({
      code: BusErrorCode.UNKNOWN_TOPIC,
      field: 'topics[0]',
    });
  });

  it('refuses an empty key and a batch with one bad record, appending nothing', async () => {
    const sut = new InProcessEventBus({ topics: ['a.v1'] });
    await expect(sut.publish('a.v1', '', new Uint8Array(1))).rejects.toMatchObject({
      code: BusErrorCode.INVALID_ARGUMENT,
      field: 'records[0].key',
    });
    await expect(
      sut.publishBatch([
        { topic: 'a.v1', key: 'k', value: new Uint8Array(1) },
        { topic: 'nope.v1', key: 'k', value: new Uint8Array(1) },
      ]),
    ).rejects.toBeInstanceOf(BusError);
    const got: unknown[] = [];
    await sut.subscribe({ topics: ['a.v1'], groupId: 'g', handler: async (r) => void got.push(r) });
    await sut.publish('a.v1', 'k', new Uint8Array([7]));
    await sut.close();
    expect(got).toHaveLength(1);
  });

  it('copies published bytes, so a reused buffer does not change what consumers read', async () => {
    const sut = new InProcessEventBus({ topics: ['a.v1'] });
    const buffer = new Uint8Array([1, 2, 3]);
    await sut.publish('a.v1', 'k', buffer);
    buffer[0] = 9;
    const got: number[][] = [];
    await sut.subscribe({ topics: ['a.v1'], groupId: 'g', handler: async (r) => void got.push([...r.value]) });
    await sut.close();
    expect(got).toEqual([[1, 2, 3]]);
  });

  it('refuses publish and subscribe after close', async () => {
    const sut = new InProcessEventBus({ topics: ['a.v1'] });
    await sut.close();
    await expect(sut.publish('a.v1', 'k', new Uint8Array(1))).rejects.toMatchObject({ code: BusErrorCode.CLOSED });
  });
});
