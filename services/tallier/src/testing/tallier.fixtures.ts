import {
  CheckOutcome,
  createTopicMessage,
  encodeTopicMessage,
  type Result,
  signedResultToWire,
  signedVerdictToWire,
  type TopicMessage,
  TOPICS,
} from '@aegis/contracts';
import { NodeKey, signResult, signVerdict, type TaskSpec, taskHash, VerdictKind } from '@aegis/protocol';
import { ManualClock } from '../clock';
import type { TallierOptions } from '../tallier.options';

/** Deterministic keys so failures reproduce: key i is the scalar i + 1. */
export function testKey(i: number): NodeKey {
  return NodeKey.fromHex((i + 1).toString(16).padStart(64, '0'));
}

export const CONTROL_KEY = testKey(99);
export const WINDOW_MS = 60_000;

export function tallierTestOptions(clock: ManualClock, overrides: Partial<TallierOptions> = {}): TallierOptions {
  return {
    controlKey: CONTROL_KEY,
    chainId: 'tallier-test',
    windowMs: WINDOW_MS,
    verifiersPerTask: 3,
    minStake: 100n,
    taskFee: 1_000n,
    submitterShareBps: 5_000,
    tickIntervalMs: 0,
    relayIntervalMs: 0,
    instanceId: 'tallier-test',
    clock,
    ...overrides,
  };
}

export function taskSpec(nonce: bigint): TaskSpec {
  return {
    modelId: 'aegis-tiny-v1',
    promptTokens: [256, 72, 105],
    maxNewTokens: 4,
    topK: 8,
    temperatureMilli: 700,
    stopTokens: [257],
    nonce,
  };
}

/** A correctly signed result (content is arbitrary: the tallier does not run the model). */
export function resultMessage(node: NodeKey, spec: TaskSpec, tokens: readonly number[] = [1, 2, 3, 4]): Result {
  const signed = signResult(
    { taskHash: taskHash(spec), node: node.address, tokens, probes: [{ layer: 0, position: 1, index: 2, value: -7 }] },
    node,
  );
  return createTopicMessage(TOPICS.results, signedResultToWire(signed, spec));
}

export function checkedVerdictMessage(
  verifier: NodeKey,
  result: Result,
  kind: VerdictKind,
  outcome: CheckOutcome = CheckOutcome.PASSED,
): TopicMessage<typeof TOPICS.checkedVerdicts> {
  const signed = signVerdict({ submissionDigest: result.digest, verifier: verifier.address, kind, nonce: 3n, values: [1, -2] }, verifier);
  const submitter = `0x${Buffer.from(result.node).toString('hex')}`;
  const verdict = signedVerdictToWire(signed, {
    taskHash: result.taskHash,
    submitter,
    beaconHeight: 1n,
    reason: kind === VerdictKind.REJECT ? 'test' : '',
  });
  return createTopicMessage(TOPICS.checkedVerdicts, { verdict, outcome, audited: true });
}

export const encodeResult = (r: Result): Uint8Array => encodeTopicMessage(TOPICS.results, r);
export const encodeChecked = (c: TopicMessage<typeof TOPICS.checkedVerdicts>): Uint8Array => encodeTopicMessage(TOPICS.checkedVerdicts, c);
