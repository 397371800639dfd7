import {
  type AsliDistribution,
  asliDistribution,
  asliSeed,
  type NodeKey,
  type Probe,
  type ProbePosition,
  asliProbePositions,
  quantize,
  sampleToken,
  type SignedResult,
  signResult,
  stepRandom,
  type TaskSpec,
  taskHash,
} from '@aegis/protocol';
import type { ModelRuntime } from './model.runtime';

export interface GenerationTimings {
  /** Wall time of the whole call: setupMs + decodeMs + finishMs. */
  totalMs: number;
  /** Before the first forward pass: task checks, task hash, seed, probe positions, every U_t. */
  setupMs: number;
  /** Prefill and the decode loop (forward passes, the sampler, hidden states at probed steps). */
  decodeMs: number;
  /** The prefill alone (part of decodeMs). */
  prefillMs: number;
  /** After the loop: probe values, result digest, signature. */
  finishMs: number;
  steps: number;
}

export interface GenerateOptions {
  /**
   * What the model is fed instead of the task's prompt (same length). Only the audit's
   * altered-prompt attacker sets it: it answers another prompt under the real task's seed.
   */
  promptForModel?: readonly number[];
  /**
   * Emit `token` at decode step `step` instead of the sampled one, then go on sampling honestly.
   * Only the audit's eps-steering attacker sets it: a node that steers within the tolerance.
   */
  steer?: { step: number; token: number };
}

export interface Generation {
  signed: SignedResult;
  timings: GenerationTimings;
}

/**
 * Hidden states kept during generation so probes can be read once the output length (and so
 * the probe space) is known: the prefill block [prompt, hidden] per layer and one [hidden] row
 * per layer for each decode step.
 */
class HiddenTrace {
  private readonly steps = new Map<number, Float32Array[]>();

  constructor(
    private readonly prefill: Float32Array[],
    private readonly promptLen: number,
    private readonly hidden: number,
  ) {}

  set(position: number, layers: Float32Array[]): void {
    this.steps.set(position, layers);
  }

  at(layer: number, position: number, index: number): number {
    const row = position < this.promptLen ? this.prefill[layer]?.subarray(position * this.hidden) : this.steps.get(position)?.[layer];
    if (row === undefined) throw new Error(`hidden state of layer ${layer} at position ${position} was not kept`);
    return row[index] as number;
  }
}

/**
 * ASLI generation (DESIGN 2.2): prefill the prompt, then per step sample with the node's seeded
 * U_t from the exact integer-weight distribution, feeding each token back through the KV cache.
 * The loop does only what a plain sampling loop does; the U_t draws run before it, probes, digest
 * and signature once after it.
 */
export async function generate(runtime: ModelRuntime, task: TaskSpec, key: NodeKey, options: GenerateOptions = {}): Promise<Generation> {
  const started = performance.now();
  runtime.validateTask(task);
  const { runner, descriptor } = runtime;
  const { vocab, hidden } = runner.dims;
  const th = taskHash(task);
  const seed = asliSeed(key.address, th);
  const prompt = options.promptForModel ?? task.promptTokens;
  if (prompt.length !== task.promptTokens.length) throw new RangeError('promptForModel must have the prompt length');
  const stops = new Set(task.stopTokens);

  // Without stop tokens the output length, hence every probe position, is known up front, and
  // hidden states are fetched only at the decode steps a probe reads. With stop tokens the
  // probe space is known only at the end, so every step keeps its hidden states.
  // The positions drawn up front are reused at the end (same seed, same shape): 32 keccaks and
  // their bigint reductions are not worth paying twice.
  // Only the layers a probe reads are fetched at a probed position (usually one of them).
  let planned: ProbePosition[] | null = null;
  let probed: Map<number, Set<number>> | null = null;
  if (stops.size === 0) {
    const known = { layers: descriptor.layers, positions: prompt.length + task.maxNewTokens - 1, hidden };
    planned = asliProbePositions(seed, descriptor.probe.count, known);
    probed = new Map();
    for (const p of planned) {
      const at = probed.get(p.position) ?? new Set<number>();
      at.add(p.layer);
      probed.set(p.position, at);
    }
  }
  // The prompt's positions come out of the prefill: the layers probed at any of them, or all
  // layers while the probe space is not known yet.
  const prefillLayers =
    probed === null ? true : new Set([...probed].filter(([position]) => position < prompt.length).flatMap(([, layers]) => [...layers]));
  // Every U_t up front (maxNewTokens keccaks, ~2 us each): drawn between decode steps, the same
  // hashes measured twice as slow and slowed the next forward pass (cold caches on both sides).
  const draws = Array.from({ length: task.maxNewTokens }, (_, t) => stepRandom(seed, t));
  const decodeStarted = performance.now();
  let out = await runner.prefill([prompt], prefillLayers);
  const prefillMs = performance.now() - decodeStarted;
  const trace = new HiddenTrace(out.hidden ?? [], prompt.length, hidden);
  const tokens: number[] = [];
  let logits = out.logits.subarray((prompt.length - 1) * vocab, prompt.length * vocab);
  let dist: AsliDistribution | undefined;
  for (let t = 0; ; t++) {
    dist = asliDistribution(logits, task.topK, task.temperatureMilli, dist);
    const token = options.steer?.step === t ? options.steer.token : sampleToken(dist, draws[t] as bigint);
    tokens.push(token);
    if (tokens.length === task.maxNewTokens || stops.has(token)) break;
    const position = prompt.length + t; // the position this token is fed at
    const keep = probed === null ? true : (probed.get(position) ?? false);
    out = await runner.forward(out.cache, [[token]], keep);
    if (out.hidden) trace.set(position, out.hidden);
    logits = out.logits;
  }

  const finishStarted = performance.now();
  const shape = { layers: descriptor.layers, positions: prompt.length + tokens.length - 1, hidden };
  // Without stop tokens every run has exactly maxNewTokens tokens, so `planned` was drawn over this shape.
  const positions = planned ?? asliProbePositions(seed, descriptor.probe.count, shape);
  const probes: Probe[] = positions.map((p) => ({
    ...p,
    value: quantize(trace.at(p.layer, p.position, p.index), descriptor.probe.q),
  }));
  const signed = signResult({ taskHash: th, node: key.address, tokens, probes }, key);
  const ended = performance.now();
  return {
    signed,
    timings: {
      totalMs: ended - started,
      setupMs: decodeStarted - started,
      decodeMs: finishStarted - decodeStarted,
      prefillMs,
      finishMs: ended - finishStarted,
      steps: tokens.length,
    },
  };
}
