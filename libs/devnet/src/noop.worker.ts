import { decodingHandler, type EventBus, type Subscription } from '@aegis/bus';
import { CONSUMER_GROUPS, createTopicMessage, encodeTopicMessage, signedResultToWire, taskSpecFromWire, TOPICS } from '@aegis/contracts';
import { signResult, toHex, type NodeKey, type TaskSpec } from '@aegis/protocol';

/**
 * What the no-op worker publishes for a task: a result of the task's first prompt tokens and no
 * probes, signed by `key`, as an encoded aegis.results.v1 record value.
 */
export function noopResult(taskHash: Uint8Array, spec: TaskSpec, key: NodeKey): Uint8Array {
  const signed = signResult({ taskHash, node: key.address, tokens: spec.promptTokens.slice(0, spec.maxNewTokens), probes: [] }, key);
  return encodeTopicMessage(TOPICS.results, createTopicMessage(TOPICS.results, signedResultToWire(signed, spec)));
}

/**
 * A stand-in for the inference worker that does no inference: it answers every task at once
 * with noopResult, signed by its keys in turn. With no verifiers running, the tallier accepts each
 * at window close. What remains is the control plane alone (ingress, bus, tallier, ledger):
 * `aegis bench pipeline` measures its ceiling this way.
 *
 * `prepared` (task hash -> record value) holds answers made ahead, which the worker publishes as
 * they are instead of signing: a bench makes them before its clock starts, since a real worker's
 * signing happens on its own machine, not the control plane's. A task with no prepared answer
 * is signed on the spot.
 */
export async function startNoopWorker(bus: EventBus, keys: readonly NodeKey[], prepared?: Map<string, Uint8Array>): Promise<Subscription> {
  let next = 0;
  return bus.subscribe({
    topics: [TOPICS.tasks],
    groupId: CONSUMER_GROUPS.inferenceWorker,
    // Answering costs a signature and a publish, no model: tasks of other keys need not queue.
    ordering: 'key',
    handler: decodingHandler(TOPICS.tasks, async (task) => {
      const hash = toHex(task.taskHash);
      let value = prepared?.get(hash);
      if (value === undefined) {
        const key = keys[next++ % keys.length];
        if (!key) throw new Error('startNoopWorker: no keys');
        value = noopResult(Uint8Array.from(task.taskHash), taskSpecFromWire(task.spec), key);
      }
      await bus.publish(TOPICS.results, hash, value);
    }),
  });
}
