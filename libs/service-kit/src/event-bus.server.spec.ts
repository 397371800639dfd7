import { Controller, Module } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import type { INestMicroservice } from '@nestjs/common';
import { InProcessEventBus, PoisonMessageError, type BusRecord } from '@aegis/bus';
import { TOPICS } from '@aegis/contracts';
import { waitFor } from '@aegis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBusServer, RethrowToTransportFilter } from './event-bus.server';

/** Task hashes: the only keys aegis.tasks.v1 accepts. */
const [K1, BAD, GOOD] = ['01', '0b', '06'].map((b) => `0x${b.repeat(32)}`) as [string, string, string];
/** What the controller saw, shared with the test through the module. */
const seen: { key: string; attempt: number }[] = [];
const effects = new Set<string>();

@Controller()
class TasksController {
  @EventPattern(TOPICS.tasks)
  async onTask(record: BusRecord): Promise<void> {
    seen.push({ key: record.key, attempt: record.attempt });
    const body = Buffer.from(record.value).toString();
    if (body === 'poison') throw new PoisonMessageError('invalid', 'value', 'cannot ever succeed');
    if (body === 'flaky' && record.attempt === 1) throw new Error('transient: database unavailable');
    effects.add(record.key);
  }
}

@Module({ controllers: [TasksController] })
class TestModule {}

describe('EventBusServer', () => {
  let app: INestMicroservice | undefined;
  afterEach(async () => {
    await app?.close();
    seen.length = 0;
    effects.clear();
  });

  async function start(bus: InProcessEventBus): Promise<void> {
    app = await NestFactory.createMicroservice(TestModule, {
      strategy: new EventBusServer(bus, { groupId: 'test', retry: { initialDelayMs: 1, maxDelayMs: 5 } }),
      logger: false,
    });
    app.useGlobalFilters(new RethrowToTransportFilter());
    await app.listen();
  }

  it('retries a handler that failed instead of dropping the record', async () => {
    const bus = new InProcessEventBus({ topics: Object.values(TOPICS) });
    await start(bus);
    await bus.publish(TOPICS.tasks, K1, Buffer.from('flaky'));
    await waitFor('effect of the flaky record', () => effects.has(K1));
    expect(seen.filter((s) => s.key === K1).map((s) => s.attempt)).toEqual([1, 2]);
  });

  it('dead-letters a poison record and keeps handling the partition', async () => {
    const bus = new InProcessEventBus({ topics: Object.values(TOPICS), partitions: 1 });
    const dead: BusRecord[] = [];
    await bus.subscribe({ topics: [TOPICS.deadLetter], groupId: 'dlq-reader', handler: async (r) => void dead.push(r) });
    await start(bus);
    await bus.publish(TOPICS.tasks, BAD, Buffer.from('poison'));
    await bus.publish(TOPICS.tasks, GOOD, Buffer.from('fine'));
    await waitFor('the record after the poison one', () => effects.has(GOOD));
    await waitFor('the dead letter', () => dead.length === 1);
    expect(effects.has(BAD)).toBe(false);
    expect(seen.filter((s) => s.key === BAD)).toHaveLength(1);
  });
});
