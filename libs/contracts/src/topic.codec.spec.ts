import { create, equals } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContractsError, ContractsErrorCode } from './contracts.errors';
import { LedgerCommandSchema } from './gen/aegis/events/v1/ledger_events_pb';
import { ResultSchema } from './gen/aegis/events/v1/result_events_pb';
import { createTopicMessage, decodeTopicMessage, encodeTopicMessage } from './topic.codec';
import { ALL_TOPICS, isTopicName, TOPIC_SCHEMAS, topicConfigOf, TOPICS, type TopicName } from './topics';

const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const i32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const decimal = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }).map(String);

describe('topics', () => {
  it('are versioned, unique, and each carries a message schema', () => {
    expect(new Set(ALL_TOPICS).size).toBe(ALL_TOPICS.length);
    for (const topic of ALL_TOPICS) {
      expect(topic).toMatch(/^aegis\.[a-z]+(-[a-z]+)*\.v[1-9]\d*$/);
      expect(TOPIC_SCHEMAS[topic].typeName).toMatch(/^aegis\.events\.v1\./);
    }
    expect(Object.keys(TOPIC_SCHEMAS).sort()).toEqual([...ALL_TOPICS].sort());
    expect(isTopicName('aegis.tasks.v1')).toBe(true);
    expect(isTopicName('toString')).toBe(false);
  });
});

describe('topic codec', () => {
  it('round-trips results with any tokens and probes', () => {
    const result = fc.record({
      taskHash: bytesOf(32),
      node: bytesOf(20),
      tokens: fc.array(u32, { maxLength: 64 }),
      probes: fc.array(fc.record({ layer: u32, position: u32, index: u32, value: i32 }), { maxLength: 16 }),
      digest: bytesOf(32),
      signature: bytesOf(65),
    });
    fc.assert(
      fc.property(result, (init) => {
        const message = createTopicMessage(TOPICS.results, init);
        const decoded = decodeTopicMessage(TOPICS.results, encodeTopicMessage(TOPICS.results, message));
        expect(equals(ResultSchema, decoded, message)).toBe(true);
        expect(decoded.probes.map((p) => p.value)).toEqual(init.probes.map((p) => p.value));
      }),
    );
  });

  it('round-trips every ledger command case with uint256-sized decimal amounts', () => {
    const command = fc.oneof(
      fc.record({ case: fc.constant('deposit' as const), value: fc.record({ address: bytesOf(20), amount: decimal }) }),
      fc.record({ case: fc.constant('liquidate' as const), value: fc.record({ disputeId: bytesOf(32), address: bytesOf(20) }) }),
      fc.record({
        case: fc.constant('payoutFee' as const),
        value: fc.record({
          taskHash: bytesOf(32),
          submitter: bytesOf(20),
          verifiers: fc.array(bytesOf(20), { maxLength: 5 }),
          submitterShareBps: fc.integer({ min: 0, max: 10_000 }),
        }),
      }),
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), command, (idempotencyKey, cmd) => {
        const message = createTopicMessage(TOPICS.ledgerCommands, { idempotencyKey, command: cmd });
        const decoded = decodeTopicMessage(TOPICS.ledgerCommands, encodeTopicMessage(TOPICS.ledgerCommands, message));
        expect(equals(LedgerCommandSchema, decoded, message)).toBe(true);
        expect(decoded.command.case).toBe(cmd.case);
      }),
    );
  });

  it('keeps a 256-bit amount exact (money never passes through a float)', () => {
    const amount = (2n ** 256n - 1n).toString();
    const message = create(LedgerCommandSchema, {
      idempotencyKey: 'k',
      command: { case: 'stake', value: { address: new Uint8Array(20), amount } },
    });
    const decoded = decodeTopicMessage(TOPICS.ledgerCommands, encodeTopicMessage(TOPICS.ledgerCommands, message));
    expect(decoded.command.case === 'stake' && decoded.command.value.amount).toBe(amount);
  });

  it('refuses malformed wire data with UNDECODABLE, naming the topic', () => {
    // Field 1, wire type 7 (does not exist); then a length prefix running past the end.
    for (const bad of [new Uint8Array([0x0f]), new Uint8Array([0x0a, 0x20, 0x01])]) {
      let caught: unknown;
      try {
        decodeTopicMessage(TOPICS.tasks, bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ContractsError);
      expect(caught).toMatchObject({ code: ContractsErrorCode.UNDECODABLE, field: TOPICS.tasks });
    }
  });

  it('never throws anything but ContractsError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_TOPICS), fc.uint8Array({ maxLength: 64 }), (topic, bytes) => {
        try {
          decodeTopicMessage(topic, bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ContractsError);
        }
      }),
    );
  });

  it('refuses a topic that is not in the contract', () => {
    expect(() => decodeTopicMessage('aegis.nope.v1' as TopicName, new Uint8Array())).toThrow(
      expect.objectContaining({ code: ContractsErrorCode.UNKNOWN_TOPIC, field: 'topic' }),
    );
  });
});

describe('topic settings', () => {
  it('keeps the stake events forever (stake views fold their whole history) and leaves other topics to the broker', () => {
    expect(topicConfigOf(TOPICS.stakeEvents)).toEqual({ 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect(topicConfigOf(TOPICS.ledgerEvents)).toEqual({});
    expect(topicConfigOf(TOPICS.tasks)).toEqual({});
    expect(topicConfigOf('not.an.aegis.topic')).toEqual({});
  });
});
