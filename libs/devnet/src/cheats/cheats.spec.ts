import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, generate, ModelRuntime, TINY_MODEL_ID, verifySubmission } from '@aegis/model';
import { NodeKey, signResult, type TaskSpec, VerdictKind, verifyPow, verifySignedResult } from '@aegis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHEAT_BEHAVIORS, parseCheatBehavior } from './cheat.behaviors';
import { cheatingProducer } from './cheating.producers';
import { lazyVerdicts } from './lazy.verdicts';

const node = NodeKey.fromHex('0'.repeat(63) + '7');
const verifier = NodeKey.fromHex('0'.repeat(63) + '9');
const spec: TaskSpec = {
  modelId: TINY_MODEL_ID,
  promptTokens: [256, 72, 101, 108, 108, 111],
  maxNewTokens: 12,
  topK: 16,
  temperatureMilli: 800,
  stopTokens: [],
  nonce: 5n,
};

describe('cheating nodes (test doubles for the worker and verifier ports)', () => {
  let dir: string;
  let runtime: ModelRuntime;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aegis-cheats-'));
    buildModel(TINY_MODEL_ID, dir);
    runtime = await ModelRuntime.open(dir);
  });
  afterAll(async () => {
    await runtime.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['wrong-tokens', 'other-model', 'copy', 'fabricate-probes'] as const)(
    '%s: signed by the node, rejected by verification',
    async (behavior) => {
      const producer = await cheatingProducer(behavior, () => 0.25)(runtime, {});
      expect(producer.behavior).toBe(behavior);
      const signed = await producer.produce(spec, node);
      expect(signed.result.node).toBe(node.address);
      expect(verifySignedResult(signed)).toBe(true);
      const report = await verifySubmission(runtime, spec, signed);
      expect(report.reasons.some((r) => r.kind === 'signature')).toBe(false);
      expect(report.verdict).toBe(VerdictKind.REJECT);
    },
  );

  it('lazy-verifier accepts even a tampered result, with values meeting the PoW target but not from the model', async () => {
    const honest = (await generate(runtime, spec, node)).signed;
    const tokens = [...honest.result.tokens];
    tokens[2] = ((tokens[2] as number) + 1) % 256;
    const tampered = signResult({ ...honest.result, tokens }, node);
    const [made] = await lazyVerdicts(() => 0.5)(runtime).verdicts({ spec, signed: tampered }, [verifier]);
    const v = made?.verdict.verdict;
    expect(v?.kind).toBe(VerdictKind.ACCEPT);
    expect(v && verifyPow(v.verifier, v.submissionDigest, v.nonce, v.values, runtime.descriptor.pow.difficultyBits)).toBe(true);
  });

  it('names the field and the choices for an unknown behaviour', () => {
    expect(CHEAT_BEHAVIORS.map((b) => parseCheatBehavior(b))).toEqual([...CHEAT_BEHAVIORS]);
    expect(() => parseCheatBehavior('honst', '--behavior')).toThrow(/--behavior: must be one of wrong-tokens, .*; got "honst"/);
  });
});
