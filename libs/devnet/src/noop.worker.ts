import { decodingHandler, type EventBus, type Subscription } from '@aegis/bus';
import { CONSUMER_GROUPS, createTopicMessage, encodeTopicMessage, signedResultToWire, taskSpecFromWire, TOPICS } from '@aegis/contracts';
import { signResult, toHex, type NodeKey } from '@aegis/protocol';

/**
 * A stand-in for the inference worker that does no inference: it answers every task at once
 * with a signed result of the task's first prompt tokens and no probes. With no verifiers
 * running, the tallier accepts each at window close. What remains is the control plane alone
 * (ingress, bus, tallier, ledger): `aegis bench pipeline` measures its ceiling this way.
 */
export async function startNoopWorker(bus: EventBus, keys: readonly NodeKey[]): Promise<Subscription> {
  let next = 0;
  return bus.subscribe({
    topics: [TOPICS.tasks],
    groupId: CONSUMER_GROUPS.inferenceWorker,
    // Answering costs a signature and a publish, no model: tasks of other keys need not queue.
    ordering: 'key',
    handler: decodingHandler(TOPICS.tasks, async (task) => {
      const key = keys[next++ % keys.length];
      if (!key) throw new Error('startNoopWorker: no keys');
      const spec = taskSpecFromWire(task.spec);
      const signed = signResult({ taskHash: Uint8Array.from(task.taskHash), node: key.address, tokens: spec.promptTokens.slice(0, spec.maxNewTokens), probes: [] }, key);
      const result = createTopicMessage(TOPICS.results, signedResultToWire(signed, spec));
      await bus.publish(TOPICS.results, toHex(task.taskHash), encodeTopicMessage(TOPICS.results, result));
    }),
  });
}
