import { InProcessEventBus } from '@aegis/bus';
import { ALL_TOPICS, createTopicMessage, decodeTopicMessage, encodeTopicMessage, signedResultFromWire, TOPICS } from '@aegis/contracts';
import { NodeKey, taskHash, toHex, verifySignedResult, type TaskSpec } from '@aegis/protocol';
import { waitFor } from '@aegis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { noopResult, startNoopWorker } from './noop.worker';

const keys = [NodeKey.fromHex(`0x${'a1'.repeat(32)}`), NodeKey.fromHex(`0x${'b2'.repeat(32)}`)];
const spec = (nonce: bigint): TaskSpec => ({
  modelId: 'aegis-tiny-v1',
  promptTokens: [1, 2, 3, 4],
  maxNewTokens: 2,
  topK: 4,
  temperatureMilli: 700,
  stopTokens: [],
  nonce,
});

describe('startNoopWorker', () => {
  const bus = new InProcessEventBus({ topics: ALL_TOPICS });
  afterEach(async () => bus.close());

  it('answers each task with a signed result of its first prompt tokens, or with the answer prepared for it', async () => {
    const results = new Map<string, Uint8Array>();
    await bus.subscribe({ topics: [TOPICS.results], groupId: 'test.results', handler: async (r) => void results.set(r.key, r.value) });
    const [fresh, ready] = [spec(1n), spec(2n)];
    const prepared = new Map([[toHex(taskHash(ready)), noopResult(taskHash(ready), ready, keys[1]!)]]);
    await startNoopWorker(bus, keys, prepared);
    for (const s of [fresh, ready]) {
      const hash = taskHash(s);
      const task = createTopicMessage(TOPICS.tasks, {
        taskHash: hash,
        spec: { ...s, promptTokens: [...s.promptTokens], stopTokens: [...s.stopTokens] },
      });
      await bus.publish(TOPICS.tasks, toHex(hash), encodeTopicMessage(TOPICS.tasks, task));
    }
    await waitFor('both answered', () => results.size === 2);
    expect(results.get(toHex(taskHash(ready)))).toEqual(prepared.get(toHex(taskHash(ready))));
    const { signed } = signedResultFromWire(decodeTopicMessage(TOPICS.results, results.get(toHex(taskHash(fresh)))!));
    expect(verifySignedResult(signed)).toBe(true);
    expect(signed.result.tokens).toEqual([1, 2]);
    expect(keys.map((k) => k.address)).toContain(signed.result.node);
  });
});
