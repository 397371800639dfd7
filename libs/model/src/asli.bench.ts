import type { TaskSpec } from '@aegis/protocol';
import { generate } from './asli.generator';
import { verifySubmission } from './asli.verifier';
import type { ModelDescriptor } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { ModelRuntime } from './model.runtime';
import type { ExecutionProviderChoice } from './decoder.runner';
import { TaskSampler } from './task.sampler';

export interface AsliBenchOptions {
  tokens: number;
  promptTokens: number;
  repetitions: number;
  threads: number;
  executionProvider: ExecutionProviderChoice;
  seed: string;
  onProgress?: (line: string) => void;
}

export const DEFAULT_ASLI_BENCH: AsliBenchOptions = { tokens: 128, promptTokens: 16, repetitions: 15, threads: 1, executionProvider: 'cpu', seed: 'aegis-bench' };

export interface AsliBenchReport {
  /** median ASLI generation / median plain greedy loop, same model, KV cache and token count. */
  asliOverhead: number;
  /** median ASLI generation / median teacher-forced verification of that output. */
  verifySpeedup: number;
  generateTokensPerSecond: number;
  verifyTokensPerSecond: number;
  plainTokensPerSecond: number;
  modelBytes: number;
  medianMs: { plain: number; asli: number; verify: number };
  tokens: number;
  repetitions: number;
  threads: number;
  executionProvider: string;
}

/**
 * The baseline: what one would write without ASLI. Prefill, then argmax and one KV-cache
 * decode step per token, fetching only logits and the cache.
 */
export async function plainGreedyLoop(runtime: ModelRuntime, prompt: readonly number[], tokens: number): Promise<number[]> {
  const { runner } = runtime;
  const vocab = runner.dims.vocab;
  let out = await runner.prefill([prompt], false);
  let logits = out.logits.subarray((prompt.length - 1) * vocab, prompt.length * vocab);
  const generated: number[] = [];
  for (;;) {
    let best = 0;
    for (let i = 1; i < vocab; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
    generated.push(best);
    if (generated.length === tokens) return generated;
    out = await runner.forward(out.cache, [[best]], false);
    logits = out.logits;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * DESIGN 5's first two numbers. Repetitions interleave plain, ASLI and verify runs so drift
 * (thermal, other load) hits all three alike; medians discard outliers.
 */
export async function benchAsli(descriptor: ModelDescriptor, onnx: Uint8Array, options: AsliBenchOptions): Promise<AsliBenchReport> {
  if (!Number.isInteger(options.tokens) || options.tokens < 2) throw new ModelError(ModelErrorCode.InvalidOption, 'tokens', 'must be an integer >= 2');
  if (!Number.isInteger(options.repetitions) || options.repetitions < 1) throw new ModelError(ModelErrorCode.InvalidOption, 'repetitions', 'must be a positive integer');
  const runtime = await ModelRuntime.fromBytes(descriptor, onnx, { intraOpThreads: options.threads, executionProvider: options.executionProvider });
  try {
    const sampler = new TaskSampler(options.seed, descriptor);
    const task: TaskSpec = {
      modelId: descriptor.modelId,
      promptTokens: sampler.prompt(options.promptTokens),
      maxNewTokens: options.tokens,
      topK: 40,
      temperatureMilli: 800,
      stopTokens: [], // no early stop: every run generates exactly `tokens`
      nonce: 1n,
    };
    const key = sampler.key(0);
    const times = { plain: [] as number[], asli: [] as number[], verify: [] as number[] };
    // Warm-up: first runs pay for lazy allocations and kernel selection.
    for (let i = 0; i < 2; i++) {
      await plainGreedyLoop(runtime, task.promptTokens, options.tokens);
      await verifySubmission(runtime, task, (await generate(runtime, task, key)).signed);
    }
    for (let r = 0; r < options.repetitions; r++) {
      let t0 = performance.now();
      await plainGreedyLoop(runtime, task.promptTokens, options.tokens);
      times.plain.push(performance.now() - t0);
      t0 = performance.now();
      const { signed } = await generate(runtime, task, key);
      times.asli.push(performance.now() - t0);
      t0 = performance.now();
      await verifySubmission(runtime, task, signed);
      times.verify.push(performance.now() - t0);
      options.onProgress?.(`bench asli: repetition ${r + 1}/${options.repetitions}`);
    }
    const m = { plain: median(times.plain), asli: median(times.asli), verify: median(times.verify) };
    const round = (x: number, digits = 3): number => Number(x.toFixed(digits));
    return {
      asliOverhead: round(m.asli / m.plain),
      verifySpeedup: round(m.asli / m.verify, 2),
      generateTokensPerSecond: round((options.tokens * 1000) / m.asli, 1),
      verifyTokensPerSecond: round((options.tokens * 1000) / m.verify, 1),
      plainTokensPerSecond: round((options.tokens * 1000) / m.plain, 1),
      modelBytes: onnx.length,
      medianMs: { plain: round(m.plain), asli: round(m.asli), verify: round(m.verify) },
      tokens: options.tokens,
      repetitions: options.repetitions,
      threads: options.threads,
      executionProvider: runtime.runner.provider,
    };
  } finally {
    await runtime.release();
  }
}
