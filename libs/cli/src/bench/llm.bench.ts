import { benchAsli, generate, ModelRuntime, readModelDir } from '@aegis/model';
import { NodeKey, type TaskSpec } from '@aegis/protocol';
import { LlamaReference } from './llama.reference';
import { referenceText } from './llm.compare';

export interface LlmBenchOptions {
  modelDir: string;
  gguf: string;
  threads: number;
  /** New tokens per generation, the same for both engines (no early stop). */
  tokens: number;
  /** ABBA repetitions of the generation comparison. */
  repetitions: number;
  /** Tokens of the prefill comparison's prompt. */
  prefillTokens: number;
  /** Repetitions of the ASLI-overhead and verification bench on the same graph. */
  asliRepetitions: number;
  onProgress?: (line: string) => void;
}

export interface LlmBenchReport {
  model: string;
  threads: number;
  tokens: number;
  aegisTokensPerSecond: number;
  llamaCppTokensPerSecond: number;
  ratio: number;
  aegisPrefillTokensPerSecond: number;
  llamaCppPrefillTokensPerSecond: number;
  asliOverhead: number;
  verifySpeedup: number;
  /** Resident memory of this process with one model session, measured before llama.cpp is loaded. */
  workerRssMb: number;
  prompt: string;
  repetitions: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

export const BENCH_PROMPT = 'Write a short story about a lighthouse keeper who finds a message in a bottle.';

/**
 * ASLI generation (sampler, probes, digest and signature included) against llama.cpp's own greedy
 * loop on the same GGUF, same prompt, same threads, same number of new tokens, in ABBA order in
 * one process so drift hits both alike; prefill on the same prompt tokens; then the ASLI overhead
 * and verification speedup against a plain onnxruntime loop on the same graph (benchAsli).
 */
export async function benchLlm(options: LlmBenchOptions): Promise<LlmBenchReport> {
  const log = options.onProgress ?? (() => undefined);
  const ours = await ModelRuntime.open(options.modelDir, { intraOpThreads: options.threads });
  const { descriptor } = ours;
  const prompt = ours.tokenizer.chatPrompt([{ role: 'user', content: BENCH_PROMPT }]);
  const prefillPrompt = ours.tokenizer.encode(referenceText()).slice(0, options.prefillTokens);
  const key = NodeKey.fromHex('42'.repeat(32));
  const task: TaskSpec = {
    modelId: descriptor.modelId,
    promptTokens: prompt,
    maxNewTokens: options.tokens,
    topK: 40,
    temperatureMilli: 700,
    stopTokens: [], // exactly `tokens` new tokens, as llama.cpp's loop below
    nonce: 1n,
  };
  const aegisRun = async (): Promise<number> => {
    const t0 = performance.now();
    const g = await generate(ours, task, key);
    if (g.signed.result.tokens.length !== options.tokens)
      throw new Error(`generated ${g.signed.result.tokens.length} tokens, expected ${options.tokens}`);
    return performance.now() - t0;
  };
  await aegisRun(); // warm-up
  const workerRssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  // Both engines are released before the ASLI bench opens its own session of the same graph.
  let ref: LlamaReference | undefined;
  let figures: { aegisTps: number; llamaTps: number; aegisPrefillTps: number; llamaPrefillTps: number };
  try {
    ref = await LlamaReference.open(options.gguf, { threads: options.threads });
    const reference = ref;
    const llamaRun = async (): Promise<{ prefillMs: number; decodeMs: number; totalMs: number }> => {
      const r = await reference.greedy(prompt, options.tokens);
      return { ...r, totalMs: r.prefillMs + r.decodeMs };
    };
    await llamaRun();
    const aegisMs: number[] = [];
    const llamaMs: number[] = [];
    for (let r = 0; r < options.repetitions; r++) {
      // ABBA: which engine goes first alternates, so a slow stretch of the machine hits both.
      if (r % 2 === 0) {
        aegisMs.push(await aegisRun());
        llamaMs.push((await llamaRun()).totalMs);
      } else {
        llamaMs.push((await llamaRun()).totalMs);
        aegisMs.push(await aegisRun());
      }
      log(
        `bench llm: generation ${r + 1}/${options.repetitions}: aegis ${aegisMs.at(-1)?.toFixed(0)} ms, llama.cpp ${llamaMs.at(-1)?.toFixed(0)} ms`,
      );
    }
    const aegisPrefill: number[] = [];
    const llamaPrefill: number[] = [];
    for (let r = 0; r < Math.max(3, options.repetitions); r++) {
      const timeOurs = async (): Promise<void> => {
        const t0 = performance.now();
        await ours.runner.prefill([prefillPrompt], false);
        aegisPrefill.push(performance.now() - t0);
      };
      const timeTheirs = async (): Promise<void> => {
        llamaPrefill.push((await reference.greedy(prefillPrompt, 1)).prefillMs);
      };
      if (r % 2 === 0) await timeOurs().then(timeTheirs);
      else await timeTheirs().then(timeOurs);
    }
    figures = {
      aegisTps: (options.tokens * 1000) / median(aegisMs),
      llamaTps: (options.tokens * 1000) / median(llamaMs),
      aegisPrefillTps: (prefillPrompt.length * 1000) / median(aegisPrefill),
      llamaPrefillTps: (prefillPrompt.length * 1000) / median(llamaPrefill),
    };
  } finally {
    await ref?.close();
    await ours.release();
  }
  log('bench llm: ASLI overhead and verification on the same graph');
  const files = readModelDir(options.modelDir);
  const asli = await benchAsli(files.descriptor, files.onnx, {
    tokens: 128,
    promptTokens: 16,
    repetitions: options.asliRepetitions,
    threads: options.threads,
    executionProvider: 'cpu',
    seed: 'aegis-bench-llm',
    onProgress: log,
  });
  return {
    model: descriptor.modelId,
    threads: options.threads,
    tokens: options.tokens,
    aegisTokensPerSecond: round(figures.aegisTps),
    llamaCppTokensPerSecond: round(figures.llamaTps),
    ratio: round(figures.aegisTps / figures.llamaTps, 3),
    aegisPrefillTokensPerSecond: round(figures.aegisPrefillTps),
    llamaCppPrefillTokensPerSecond: round(figures.llamaPrefillTps),
    asliOverhead: asli.asliOverhead,
    verifySpeedup: asli.verifySpeedup,
    workerRssMb,
    prompt: BENCH_PROMPT,
    repetitions: options.repetitions,
  };
}
