import { grindPow, type SignedResult, type TaskSpec, VerdictKind } from '@aegis/protocol';
import { generate } from './asli.generator';
import { verifySubmission } from './asli.verifier';
import type { ModelDescriptor } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { ModelRuntime } from './model.runtime';
import type { ExecutionProviderChoice } from './decoder.runner';
import { TaskSampler } from './task.sampler';
import { WeightPrng } from './weights.prng';

export interface AsliBenchOptions {
  tokens: number;
  promptTokens: number;
  repetitions: number;
  threads: number;
  executionProvider: ExecutionProviderChoice;
  seed: string;
  onProgress?: (line: string) => void;
}

export const DEFAULT_ASLI_BENCH: AsliBenchOptions = {
  tokens: 128,
  promptTokens: 16,
  repetitions: 31,
  threads: 1,
  executionProvider: 'cpu',
  seed: 'aegis-bench',
};

export interface RatioSpread {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export interface AsliBenchReport {
  /** Median ASLI generation time / median plain greedy-loop time (the runs interleave ABBA). */
  asliOverhead: number;
  /** The median of the per-pair ratios (ASLI / the plain run next to it): a second reading of the same runs. */
  asliOverheadPairedMedian: number;
  /** Median ASLI generation time / median teacher-forced verification time of those outputs. */
  verifySpeedup: number;
  /** The per-repetition ratios behind the medians, in run order, and their spread. */
  asliOverheadRuns: number[];
  verifySpeedupRuns: number[];
  asliOverheadSpread: RatioSpread;
  /**
   * 95% bootstrap interval of asliOverheadPairedMedian (2,000 resamples of the paired ratios,
   * fixed seed): how far the figure could move on another run of the same length.
   */
  asliOverheadPairedMedianCi95: [number, number];
  verifySpeedupSpread: RatioSpread;
  /**
   * What ASLI adds per generated token in absolute terms: the median over repetitions of
   * (ASLI run - the plain run next to it) / tokens, in microseconds. The protocol's per-token
   * work does not grow with the model, so this is the figure that carries over to other model
   * sizes (the ratio shrinks as the decode step grows).
   */
  asliExtraUsPerToken: number;
  generateTokensPerSecond: number;
  verifyTokensPerSecond: number;
  plainTokensPerSecond: number;
  modelBytes: number;
  medianMs: { plain: number; asli: number; verify: number; pow: number };
  /**
   * The verifier's PoW grinding at the descriptor's difficulty (grindPow on the verification's
   * pass, timed apart from it, one verifier key per repetition) over the verification it proves:
   * medianMs.pow / medianMs.verify.
   */
  powShareOfVerify: number;
  /** Median nonces the PoW tried (expected 2^difficultyBits, median of a geometric ~0.69 x that). */
  powMedianTries: number;
  /** Median PoW time per nonce tried (a walk of pow.positions reads), microseconds: luck-free. */
  powUsPerTry: number;
  /** What the PoW costs on average: 2^difficultyBits * powUsPerTry over the median verification. */
  powExpectedShareOfVerify: number;
  /**
   * Where ASLI generation's time goes (medians over the same runs): setup (task hash, seed,
   * probe positions, every U_t), decode (prefill + loop, comparable with medianMs.plain), finish
   * (probe values, digest, signature). decodeOverPlain is the loop's own overhead.
   */
  asliPhasesMs: { setup: number; decode: number; finish: number; decodeOverPlain: number };
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

/** Quantile by linear interpolation between order statistics (q = 0.5 is the usual median). */
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (at - lo);
}

const median = (xs: readonly number[]): number => quantile(xs, 0.5);
const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

/**
 * Percentile bootstrap of the median: resample `xs` with replacement `resamples` times and take
 * the 2.5th and 97.5th percentiles of the resampled medians. The indices come from the model's
 * seeded PRNG (WeightPrng, stream `seed`), so the same runs always give the same interval.
 */
export function bootstrapMedianCi95(xs: readonly number[], resamples = 2_000, seed = 'asli-bench-bootstrap'): [number, number] {
  if (xs.length === 0) throw new RangeError('bootstrapMedianCi95: no values');
  const prng = new WeightPrng(seed, 'indices');
  const medians: number[] = [];
  const sample = new Array<number>(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor((prng.nextUint32() / 2 ** 32) * xs.length)] as number;
    medians.push(median(sample));
  }
  return [round(quantile(medians, 0.025)), round(quantile(medians, 0.975))];
}

function spread(xs: readonly number[]): RatioSpread {
  return {
    min: round(quantile(xs, 0)),
    q1: round(quantile(xs, 0.25)),
    median: round(quantile(xs, 0.5)),
    q3: round(quantile(xs, 0.75)),
    max: round(quantile(xs, 1)),
  };
}

/**
 * DESIGN 5's first two numbers, on one session for all three measurements (same options, same
 * KV-cache code path in DecoderRunner.forward). Repetitions interleave plain, ASLI and verify
 * runs so drift (thermal, other load) hits all three alike; medians discard outliers.
 */
export async function benchAsli(descriptor: ModelDescriptor, onnx: Uint8Array, options: AsliBenchOptions): Promise<AsliBenchReport> {
  if (!Number.isInteger(options.tokens) || options.tokens < 2)
    throw new ModelError(ModelErrorCode.InvalidOption, 'tokens', 'must be an integer >= 2');
  if (!Number.isInteger(options.repetitions) || options.repetitions < 1)
    throw new ModelError(ModelErrorCode.InvalidOption, 'repetitions', 'must be a positive integer');
  const runtime = await ModelRuntime.fromBytes(descriptor, onnx, {
    intraOpThreads: options.threads,
    executionProvider: options.executionProvider,
  });
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
    const times = { plain: [] as number[], asli: [] as number[], verify: [] as number[], pow: [] as number[] };
    const powTries: number[] = [];
    const timed = async <T>(into: number[], run: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const value = await run();
      into.push(performance.now() - t0);
      return value;
    };
    // Warm-up, both loops alike: first runs pay for lazy allocations, kernel selection and JIT.
    for (let i = 0; i < 3; i++) {
      await plainGreedyLoop(runtime, task.promptTokens, options.tokens);
      await verifySubmission(runtime, task, (await generate(runtime, task, key)).signed);
    }
    // Plain and ASLI runs in ABBA pairs (alternating which goes first), each pair seconds apart,
    // so the slow drift of a shared machine's load hits both alike, with nothing else between
    // them: a verification pass allocates megabytes, and interleaving it would hand its
    // garbage-collection debt to whichever generation ran next. Verifications are timed
    // afterwards, one per ASLI output.
    const outputs: SignedResult[] = [];
    const phases = { setup: [] as number[], decode: [] as number[], finish: [] as number[] };
    for (let r = 0; r < options.repetitions; r++) {
      const plainRun = (): Promise<number[]> => timed(times.plain, () => plainGreedyLoop(runtime, task.promptTokens, options.tokens));
      if (r % 2 === 0) await plainRun();
      const generation = await timed(times.asli, () => generate(runtime, task, key));
      outputs.push(generation.signed);
      phases.setup.push(generation.timings.setupMs);
      phases.decode.push(generation.timings.decodeMs);
      phases.finish.push(generation.timings.finishMs);
      if (r % 2 === 1) await plainRun();
      options.onProgress?.(`bench asli: repetition ${r + 1}/${options.repetitions}`);
    }
    for (const [r, signed] of outputs.entries()) {
      const report = await timed(times.verify, () => verifySubmission(runtime, task, signed));
      // A bench that measured a rejecting verifier (or a generator the verifier disagrees with)
      // would be measuring the wrong thing.
      if (report.verdict !== VerdictKind.ACCEPT) {
        throw new ModelError(
          ModelErrorCode.Runtime,
          'verify',
          `bench submission rejected: ${report.reasons.map((x) => x.detail).join('; ')}`,
        );
      }
      const pass = report.pass;
      if (pass === null) throw new ModelError(ModelErrorCode.Runtime, 'verify', 'accepted without a teacher-forced pass');
      // The grinding alone (the verdict's signature is not PoW), by another verifier each time so
      // the tries are independent draws rather than one digest's luck.
      const verifier = sampler.key(1 + r);
      const { layers, pow } = descriptor;
      const solution = await timed(times.pow, () =>
        Promise.resolve(
          grindPow(verifier.address, signed.digest, pass.shape(layers), pow.positions, pow.difficultyBits, (p) => pass.valueAt(p)),
        ),
      );
      powTries.push(solution.tries);
    }
    const overheadRuns = times.asli.map((a, i) => a / (times.plain[i] as number));
    const speedupRuns = times.asli.map((a, i) => a / (times.verify[i] as number));
    const m = { plain: median(times.plain), asli: median(times.asli), verify: median(times.verify), pow: median(times.pow) };
    return {
      asliOverhead: round(m.asli / m.plain),
      asliOverheadPairedMedian: round(median(overheadRuns)),
      verifySpeedup: round(m.asli / m.verify, 2),
      asliOverheadRuns: overheadRuns.map((x) => round(x)),
      verifySpeedupRuns: speedupRuns.map((x) => round(x, 2)),
      asliOverheadSpread: spread(overheadRuns),
      asliOverheadPairedMedianCi95: bootstrapMedianCi95(overheadRuns),
      verifySpeedupSpread: spread(speedupRuns),
      asliExtraUsPerToken: round(median(times.asli.map((a, i) => ((a - (times.plain[i] as number)) * 1000) / options.tokens)), 1),
      generateTokensPerSecond: round((options.tokens * 1000) / m.asli, 1),
      verifyTokensPerSecond: round((options.tokens * 1000) / m.verify, 1),
      plainTokensPerSecond: round((options.tokens * 1000) / m.plain, 1),
      modelBytes: onnx.length,
      medianMs: { plain: round(m.plain), asli: round(m.asli), verify: round(m.verify), pow: round(m.pow) },
      powShareOfVerify: round(m.pow / m.verify),
      powMedianTries: median(powTries),
      powUsPerTry: round(median(times.pow.map((t, i) => (t * 1000) / (powTries[i] as number))), 1),
      powExpectedShareOfVerify: round(
        (2 ** descriptor.pow.difficultyBits * median(times.pow.map((t, i) => t / (powTries[i] as number)))) / m.verify,
      ),
      asliPhasesMs: {
        setup: round(median(phases.setup)),
        decode: round(median(phases.decode)),
        finish: round(median(phases.finish)),
        decodeOverPlain: round(median(phases.decode) / m.plain),
      },
      tokens: options.tokens,
      repetitions: options.repetitions,
      threads: options.threads,
      executionProvider: runtime.runner.provider,
    };
  } finally {
    await runtime.release();
  }
}
