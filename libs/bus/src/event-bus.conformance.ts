/**
 * The behaviour every EventBus adapter must show, run against each of them: the in-process bus
 * in a unit test, Kafka against a real broker in an integration test. Imported by specs only.
 */
import { createTopicMessage, DeadLetterReason, decodeTopicMessage, encodeTopicMessage, TOPICS, type DeadLetter } from '@aegis/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusErrorCode, PoisonMessageError } from './bus.errors';
import type { BusRecord, EventBus, RecordHandler, Subscription } from './bus.port';
import { decodingHandler } from './decoding.handler';

export interface ConformanceHarness {
  readonly bus: EventBus;
  /** A topic no other test uses, with `partitions` partitions. */
  freshTopic(partitions?: number): Promise<string>;
  /** A group id no other test uses. */
  freshGroup(): string;
  close(): Promise<void>;
  /** How long to wait for a condition (Kafka rebalances take seconds). */
  readonly timeoutMs: number;
}

const RETRY_FAST = { initialDelayMs: 5, maxDelayMs: 50 };

export function describeEventBusConformance(adapter: string, setup: () => Promise<ConformanceHarness>): void {
  describe(`EventBus conformance: ${adapter}`, () => {
    let h: ConformanceHarness;
    const subscriptions: Subscription[] = [];
    const subscribe = async (...args: Parameters<EventBus['subscribe']>): Promise<Subscription> => {
      const s = await h.bus.subscribe(...args);
      subscriptions.push(s);
      return s;
    };
    const until = <T>(what: string, probe: () => T | undefined | false): Promise<T> => waitUntil(what, probe, h.timeoutMs);
    const text = (r: BusRecord): string => Buffer.from(r.value).toString('utf8');
    const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

    /** Dead letters whose original topic is `topic`, read by a group of their own. */
    const deadLettersOf = async (topic: string, count: number): Promise<DeadLetter[]> => {
      const seen: DeadLetter[] = [];
      const sub = await subscribe({
        topics: [TOPICS.deadLetter],
        groupId: h.freshGroup(),
        handler: async (r) => {
          const dl = decodeTopicMessage(TOPICS.deadLetter, r.value);
          if (dl.topic === topic) seen.push(dl);
        },
      });
      await until(`${count} dead letters from ${topic}`, () => seen.length >= count);
      await sub.stop();
      return seen;
    };

    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await h?.close();
    });

    it('delivers every record with its key, value and headers, in publish order per key', async () => {
      const topic = await h.freshTopic(3);
      const keys = ['0xaa', '0xbb', '0xcc', '0xdd'];
      const sent = keys.flatMap((key) =>
        Array.from({ length: 8 }, (_, i) => ({ topic, key, value: bytes(`${key}:${i}`), headers: { seq: String(i) } })),
      );
      // Interleave keys so per-key order is not an accident of batching.
      sent.sort((a, b) => Number(a.headers.seq) - Number(b.headers.seq));
      await h.bus.publishBatch(sent.slice(0, 16));
      for (const r of sent.slice(16)) await h.bus.publish(r.topic, r.key, r.value, r.headers);

      const got: BusRecord[] = [];
      await subscribe({ topics: [topic], groupId: h.freshGroup(), handler: async (r) => void got.push(r) });
      await until('all records', () => got.length >= sent.length);

      expect(got).toHaveLength(sent.length);
      for (const key of keys) {
        const ofKey = got.filter((r) => r.key === key);
        expect(ofKey.map(text)).toEqual(Array.from({ length: 8 }, (_, i) => `${key}:${i}`));
        expect(ofKey.map((r) => r.headers.seq)).toEqual(Array.from({ length: 8 }, (_, i) => String(i)));
        // One key, one partition, increasing offsets.
        expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
        const offsets = ofKey.map((r) => r.offset);
        expect([...offsets].sort((a, b) => (a < b ? -1 : 1))).toEqual(offsets);
      }
      expect(got.every((r) => r.topic === topic && r.attempt === 1)).toBe(true);
    });

    it("reports each partition's end offset: one past the last record delivered from it", async () => {
      const topic = await h.freshTopic(3);
      expect(await h.bus.endOffsets(topic)).toEqual([0n, 0n, 0n]);
      const sent = Array.from({ length: 12 }, (_, i) => ({ topic, key: `0x${i.toString(16).padStart(2, '0')}`, value: bytes(`r${i}`) }));
      await h.bus.publishBatch(sent);
      const ends = await h.bus.endOffsets(topic);
      const got: BusRecord[] = [];
      await subscribe({ topics: [topic], groupId: h.freshGroup(), fromBeginning: true, handler: async (r) => void got.push(r) });
      await until('all records', () => got.length >= sent.length);
      expect(ends.reduce((a, b) => a + b, 0n)).toBe(12n);
      for (let p = 0; p < 3; p++) {
        const last = got.filter((r) => r.partition === p).reduce((max, r) => (r.offset + 1n > max ? r.offset + 1n : max), 0n);
        expect(ends[p]).toBe(last);
      }
      await expect(h.bus.endOffsets(`missing.${topic}`)).rejects.toMatchObject({ code: BusErrorCode.UNKNOWN_TOPIC });
    });

    it('redelivers a record whose handler failed, holding back later records of the same key', async () => {
      const topic = await h.freshTopic(1);
      const handled: string[] = [];
      const attempts = new Map<string, number>();
      await subscribe({
        topics: [topic],
        groupId: h.freshGroup(),
        retry: RETRY_FAST,
        handler: async (r) => {
          const v = text(r);
          attempts.set(v, r.attempt);
          if (v === 'second' && r.attempt < 3) throw new Error('transient');
          handled.push(v);
        },
      });
      for (const v of ['first', 'second', 'third']) await h.bus.publish(topic, 'k', bytes(v));
      await until('three records handled', () => handled.length >= 3);
      expect(handled).toEqual(['first', 'second', 'third']);
      expect(attempts.get('second')).toBe(3);
      expect(attempts.get('third')).toBe(1);
    });

    it('has exactly one effect per record when the handler is idempotent, despite redeliveries', async () => {
      const topic = await h.freshTopic(2);
      const effects = new Map<string, number>();
      let calls = 0;
      await subscribe({
        topics: [topic],
        groupId: h.freshGroup(),
        retry: RETRY_FAST,
        handler: async (r) => {
          calls++;
          const id = text(r);
          // Idempotent effect (an upsert keyed by id), then a failure after it: the classic
          // "crashed before commit" case, which at-least-once turns into a redelivery.
          if (!effects.has(id)) effects.set(id, 1);
          if (r.attempt === 1 && Number(id.split('-')[1]) % 3 === 0) throw new Error('after effect');
        },
      });
      const ids = Array.from({ length: 12 }, (_, i) => `id-${i}`);
      await h.bus.publishBatch(ids.map((id, i) => ({ topic, key: `k${i % 4}`, value: bytes(id) })));
      await until('every id applied', () => ids.every((id) => effects.has(id)) && calls >= ids.length + 4);
      expect([...effects.keys()].sort()).toEqual([...ids].sort());
      expect([...effects.values()].every((n) => n === 1)).toBe(true);
      expect(calls).toBe(ids.length + 4); // ids 0, 3, 6, 9 were redelivered once each
    });

    it('dead-letters poison records with the reason and keeps the partition flowing', async () => {
      const topic = await h.freshTopic(1);
      const handled: string[] = [];
      await subscribe({
        topics: [topic],
        groupId: h.freshGroup(),
        handler: async (r) => {
          if (text(r) === 'bad-signature') throw new PoisonMessageError('invalid', 'signature', 'does not recover to node');
          handled.push(text(r));
        },
      });
      await h.bus.publish(topic, '0x01', bytes('good-1'));
      await h.bus.publish(topic, '0x01', bytes('bad-signature'), { origin: 'test' });
      await h.bus.publish(topic, '0x01', bytes('good-2'));
      await until('both good records', () => handled.length >= 2);
      expect(handled).toEqual(['good-1', 'good-2']);

      const [dl] = await deadLettersOf(topic, 1);
      expect(dl).toBeDefined();
      expect(dl?.reason).toBe(DeadLetterReason.INVALID);
      expect(dl?.detail).toContain('signature');
      expect(Buffer.from(dl?.value ?? []).toString()).toBe('bad-signature');
      expect(Buffer.from(dl?.key ?? []).toString()).toBe('0x01');
      expect(dl?.offset).toBe(1n);
      expect(dl?.headers.map((x) => [x.key, Buffer.from(x.value).toString()])).toEqual([['origin', 'test']]);
    });

    it('dead-letters undecodable payloads through decodingHandler and decodes the rest', async () => {
      const topic = await h.freshTopic(1);
      const models: string[] = [];
      await subscribe({
        topics: [topic],
        groupId: h.freshGroup(),
        handler: decodingHandler(TOPICS.tasks, async (task) => void models.push(task.spec?.modelId ?? '')),
      });
      const task = (modelId: string): Uint8Array =>
        encodeTopicMessage(TOPICS.tasks, createTopicMessage(TOPICS.tasks, { taskHash: new Uint8Array(32), spec: { modelId } }));
      await h.bus.publish(topic, '0x02', task('before'));
      // Field 1 with wire type 7: no protobuf decoder accepts it.
      await h.bus.publish(topic, '0x02', new Uint8Array([0x0f, 0xff, 0xff]));
      await h.bus.publish(topic, '0x02', task('after'));
      await until('both decodable tasks', () => models.length >= 2);
      expect(models).toEqual(['before', 'after']);
      const [dl] = await deadLettersOf(topic, 1);
      expect(dl?.reason).toBe(DeadLetterReason.UNDECODABLE);
      expect([...(dl?.value ?? [])]).toEqual([0x0f, 0xff, 0xff]);
    });

    it('dead-letters a record after maxAttempts failures when the policy bounds them', async () => {
      const topic = await h.freshTopic(1);
      const handled: string[] = [];
      let failures = 0;
      await subscribe({
        topics: [topic],
        groupId: h.freshGroup(),
        retry: { ...RETRY_FAST, maxAttempts: 3 },
        handler: async (r) => {
          if (text(r) === 'doomed') {
            failures++;
            throw new Error('always');
          }
          handled.push(text(r));
        },
      });
      await h.bus.publish(topic, 'k', bytes('doomed'));
      await h.bus.publish(topic, 'k', bytes('next'));
      await until('the record after it', () => handled.length >= 1);
      expect(failures).toBe(3);
      const [dl] = await deadLettersOf(topic, 1);
      expect(dl?.reason).toBe(DeadLetterReason.RETRIES_EXHAUSTED);
      expect(dl?.detail).toContain('always');
    });

    it('splits a group between its members and gives every group every record', async () => {
      const topic = await h.freshTopic(4);
      const group = h.freshGroup();
      const byMember: string[][] = [[], []];
      const other: string[] = [];
      for (const seen of byMember) await subscribe({ topics: [topic], groupId: group, handler: async (r) => void seen.push(text(r)) });
      await subscribe({ topics: [topic], groupId: h.freshGroup(), handler: async (r) => void other.push(text(r)) });
      const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
      await h.bus.publishBatch(values.map((v, i) => ({ topic, key: `key-${i}`, value: bytes(v) })));
      await until('the group to handle every record', () => byMember[0]!.length + byMember[1]!.length >= values.length);
      await until('the other group to handle every record', () => other.length >= values.length);

      const union = [...byMember[0]!, ...byMember[1]!];
      expect(union.sort()).toEqual([...values].sort());
      expect(byMember[0]!.length).toBeGreaterThan(0);
      expect(byMember[1]!.length).toBeGreaterThan(0);
      expect([...other].sort()).toEqual([...values].sort());
    });

    it('stop() finishes and commits the record in hand; the next member resumes after it', async () => {
      const topic = await h.freshTopic(1);
      const group = h.freshGroup();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const first: string[] = [];
      let inHand = false;
      const slow: RecordHandler = async (r) => {
        inHand = true;
        await gate;
        first.push(text(r));
      };
      const member = await subscribe({ topics: [topic], groupId: group, handler: slow });
      await h.bus.publish(topic, 'k', bytes('in-hand'));
      await h.bus.publish(topic, 'k', bytes('later'));
      await until('the handler to hold a record', () => inHand);

      let stopped = false;
      const stopping = member.stop().then(() => (stopped = true));
      // Give stop every chance to return early: it must not, while the handler is running.
      await new Promise((resolve) => setImmediate(resolve));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(first).toEqual(['in-hand']);

      const second: string[] = [];
      await subscribe({ topics: [topic], groupId: group, handler: async (r) => void second.push(text(r)) });
      await until('the next member to get the later record', () => second.length >= 1);
      expect(second).toEqual(['later']);
    });

    it('stop() during a retry leaves the record uncommitted for the next member', async () => {
      const topic = await h.freshTopic(1);
      const group = h.freshGroup();
      let attempts = 0;
      const member = await subscribe({
        topics: [topic],
        groupId: group,
        // A long backoff: stop must cut it short instead of waiting it out.
        retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
        handler: async () => {
          attempts++;
          throw new Error('down');
        },
      });
      await h.bus.publish(topic, 'k', bytes('retried'));
      await until('a failed attempt', () => attempts >= 1);
      const started = Date.now();
      await member.stop();
      expect(Date.now() - started).toBeLessThan(30_000);

      const second: string[] = [];
      await subscribe({ topics: [topic], groupId: group, handler: async (r) => void second.push(text(r)) });
      await until('redelivery to the next member', () => second.length >= 1);
      expect(second).toEqual(['retried']);
    });

    it("with ordering 'key', handles other keys while one key's record is in hand, each key in order, dead-lettering poison", async () => {
      const topic = await h.freshTopic(1);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: string[] = [];
      await subscribe({
        topics: [topic],
        groupId: h.freshGroup(),
        ordering: 'key',
        handler: async (r) => {
          if (text(r) === 'poison') throw new PoisonMessageError('invalid', 'value', 'poison (test)');
          if (text(r) === 'slow-1') await gate;
          handled.push(text(r));
        },
      });
      await h.bus.publishBatch(
        [
          ['slow', 'slow-1'],
          ['fast', 'fast-1'],
          ['fast', 'poison'],
          ['slow', 'slow-2'],
          ['fast', 'fast-2'],
        ].map(([key, v]) => ({ topic, key: key as string, value: bytes(v as string) })),
      );
      // The same partition, yet the fast key's records pass the slow record in hand.
      await until('the fast key handled while slow-1 waits', () => handled.includes('fast-2'));
      expect(handled).toEqual(['fast-1', 'fast-2']);
      release();
      await until('the slow key handled', () => handled.length >= 4);
      expect(handled.filter((v) => v.startsWith('slow'))).toEqual(['slow-1', 'slow-2']);
      const [dl] = await deadLettersOf(topic, 1);
      expect(Buffer.from(dl?.value ?? []).toString()).toBe('poison');
      expect(dl?.offset).toBe(2n);
    });

    it("with ordering 'key', a stopped member's group resumes at the first record not done, losing nothing", async () => {
      const topic = await h.freshTopic(1);
      const group = h.freshGroup();
      const first: string[] = [];
      let attempts = 0;
      const member = await subscribe({
        topics: [topic],
        groupId: group,
        ordering: 'key',
        retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
        handler: async (r) => {
          if (text(r) === 'a-1') {
            attempts++;
            throw new Error('down');
          }
          first.push(text(r));
        },
      });
      await h.bus.publishBatch([
        { topic, key: 'a', value: bytes('a-1') },
        { topic, key: 'b', value: bytes('b-1') },
        { topic, key: 'a', value: bytes('a-2') },
      ]);
      await until('b-1 handled while a-1 is retried', () => attempts >= 1 && first.includes('b-1'));
      // a-2 waits behind a-1: a key's records never overtake each other.
      expect(first).toEqual(['b-1']);
      await member.stop();
      const second: string[] = [];
      await subscribe({ topics: [topic], groupId: group, ordering: 'key', handler: async (r) => void second.push(text(r)) });
      await until('a-1 and a-2 redelivered', () => second.includes('a-2'));
      // From a-1 on, b-1 included: it was done, but after the first record that was not.
      expect(second.filter((v) => v.startsWith('a'))).toEqual(['a-1', 'a-2']);
      expect(second).toContain('b-1');
    });

    it('refuses an unknown ordering', async () => {
      const topic = await h.freshTopic(1);
      await expect(
        h.bus.subscribe({ topics: [topic], groupId: h.freshGroup(), handler: async () => undefined, ordering: 'none' as 'key' }),
      ).rejects.toMatchObject({
        code: BusErrorCode.INVALID_ARGUMENT,
        field: 'ordering',
      });
    });

    it('with fromBeginning: false, a new group sees only records published after subscribe', async () => {
      const topic = await h.freshTopic(1);
      await h.bus.publish(topic, 'k', bytes('old'));
      const got: string[] = [];
      await subscribe({ topics: [topic], groupId: h.freshGroup(), fromBeginning: false, handler: async (r) => void got.push(text(r)) });
      await h.bus.publish(topic, 'k', bytes('new'));
      await until('the new record', () => got.length >= 1);
      expect(got).toEqual(['new']);
    });
  });
}

async function waitUntil<T>(what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
