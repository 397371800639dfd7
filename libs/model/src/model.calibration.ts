import { asliDistribution, type TaskSpec, tokenInterval, VerdictKind } from '@aegis/protocol';
import { generate } from './asli.generator';
import { verifySubmission } from './asli.verifier';
import type { ModelDescriptor, ToleranceConfig } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { ModelRuntime } from './model.runtime';
import { TaskSampler } from './task.sampler';
import { TeacherForcedPass } from './teacher-forced.pass';

export interface CalibrationOptions {
  tasks: number;
  seed: string;
  /** Tolerances = margin x the largest honest deviation, but never below the floors. */
  margin: number;
  onProgress?: (line: string) => void;
}

/** Below these the tolerance would only encode float noise we happened not to see. */
export const TOLERANCE_FLOORS: Readonly<ToleranceConfig> = { eps: 1e-5, epsLogit: 1e-4, tol: 8, missBudget: 0 };

export interface HonestDeviation {
  /** Probability units: largest shift of any top-K interval boundary. */
  token: number;
  /** Logit units: largest |logit - logit'| over every vocabulary entry and step. */
  logit: number;
  /** Quantised units: largest |q - q'| over every hidden value of every layer and position. */
  probe: number;
  /** Steps where the two runs ranked the top-K differently (near-tied logits swapped). */
  orderSwaps: number;
}

export interface CalibrationReport {
  tasks: number;
  configurations: string[];
  deviation: HonestDeviation;
  /** Honest submissions the verifier rejected under the new tolerances (must be 0). */
  honestRejected: number;
  tolerance: ToleranceConfig;
}

interface Config {
  name: string;
  runtime: ModelRuntime;
  companions: number;
}

/**
 * Measures how far honest numbers move between execution configurations and sets the
 * tolerances with a margin above that. The reference is what a generating node computes (one
 * thread, KV-cache decode, batch 1); each other configuration is a fresh session doing a
 * teacher-forced prefill: 2 threads, a batch of 4 with other prompts, and so on.
 */
export async function calibrate(descriptor: ModelDescriptor, onnx: Uint8Array, options: CalibrationOptions): Promise<CalibrationReport> {
  if (!Number.isInteger(options.tasks) || options.tasks < 1)
    throw new ModelError(ModelErrorCode.InvalidOption, 'tasks', 'must be a positive integer');
  if (!(options.margin >= 1)) throw new ModelError(ModelErrorCode.InvalidOption, 'margin', 'must be >= 1');
  const reference = await ModelRuntime.fromBytes(descriptor, onnx, { intraOpThreads: 1 });
  const configs: Config[] = [
    { name: 'prefill threads=1 batch=1', runtime: await ModelRuntime.fromBytes(descriptor, onnx, { intraOpThreads: 1 }), companions: 0 },
    { name: 'prefill threads=2 batch=1', runtime: await ModelRuntime.fromBytes(descriptor, onnx, { intraOpThreads: 2 }), companions: 0 },
    { name: 'prefill threads=1 batch=4', runtime: await ModelRuntime.fromBytes(descriptor, onnx, { intraOpThreads: 1 }), companions: 3 },
    { name: 'prefill threads=2 batch=4', runtime: await ModelRuntime.fromBytes(descriptor, onnx, { intraOpThreads: 2 }), companions: 3 },
  ];
  const sampler = new TaskSampler(options.seed, descriptor);
  const deviation: HonestDeviation = { token: 0, logit: 0, probe: 0, orderSwaps: 0 };
  const results: { task: TaskSpec; signed: Awaited<ReturnType<typeof generate>>['signed'] }[] = [];
  try {
    for (let i = 0; i < options.tasks; i++) {
      const task = sampler.task();
      const { signed } = await generate(reference, task, sampler.key(i));
      results.push({ task, signed });
      const tokens = signed.result.tokens;
      const ref = await decodeTrace(reference, task.promptTokens, tokens);
      for (const c of configs) {
        const companions = Array.from({ length: c.companions }, () => sampler.prompt());
        const pass = await TeacherForcedPass.run(c.runtime, task.promptTokens, tokens, companions);
        compare(ref, pass, task, descriptor, deviation);
      }
      if ((i + 1) % 25 === 0) options.onProgress?.(`calibrate: ${i + 1}/${options.tasks} tasks`);
    }
    const tolerance: ToleranceConfig = {
      eps: Math.max(TOLERANCE_FLOORS.eps, options.margin * deviation.token),
      epsLogit: Math.max(TOLERANCE_FLOORS.epsLogit, options.margin * deviation.logit),
      tol: Math.max(TOLERANCE_FLOORS.tol, Math.ceil(options.margin * deviation.probe)),
      missBudget: 0,
    };
    // Re-check every honest submission with the chosen tolerances across the configurations.
    let honestRejected = 0;
    for (const [i, r] of results.entries()) {
      const c = configs[i % configs.length] as Config;
      const companions = Array.from({ length: c.companions }, () => sampler.prompt());
      const report = await verifySubmission(c.runtime, r.task, r.signed, { tolerance, companions });
      if (report.verdict !== VerdictKind.ACCEPT) honestRejected++;
    }
    return {
      tasks: options.tasks,
      configurations: ['kv-decode threads=1 batch=1 (reference)', ...configs.map((c) => c.name)],
      deviation,
      honestRejected,
      tolerance,
    };
  } finally {
    await reference.release();
    for (const c of configs) await c.runtime.release();
  }
}

interface Trace {
  /** Per step logits. */
  logits: Float32Array[];
  /** Per consumed position, per layer hidden row. */
  hidden: Float32Array[][];
}

/** What the generator computed, recomputed the generator's way: prefill, then one token at a time. */
async function decodeTrace(runtime: ModelRuntime, prompt: readonly number[], tokens: readonly number[]): Promise<Trace> {
  const { vocab, hidden: h, layers } = runtime.runner.dims;
  let out = await runtime.runner.prefill([prompt], true);
  const trace: Trace = { logits: [], hidden: [] };
  for (let p = 0; p < prompt.length; p++)
    trace.hidden.push(
      Array.from({ length: layers }, (_, l) => (out.hidden as Float32Array[])[l]?.slice(p * h, (p + 1) * h) as Float32Array),
    );
  trace.logits.push(out.logits.slice((prompt.length - 1) * vocab, prompt.length * vocab));
  for (let t = 0; t < tokens.length - 1; t++) {
    out = await runtime.runner.forward(out.cache, [[tokens[t] as number]], true);
    trace.hidden.push((out.hidden as Float32Array[]).map((x) => x.slice()));
    trace.logits.push(out.logits.slice());
  }
  return trace;
}

function compare(ref: Trace, pass: TeacherForcedPass, task: TaskSpec, d: ModelDescriptor, dev: HonestDeviation): void {
  const scale = 2 ** d.probe.q;
  for (let p = 0; p < pass.positions; p++) {
    for (let l = 0; l < d.layers; l++) {
      const row = ref.hidden[p]?.[l] as Float32Array;
      for (let i = 0; i < d.hidden; i++) {
        dev.probe = Math.max(dev.probe, Math.abs((row[i] as number) - pass.hiddenAt(l, p, i)) * scale);
      }
    }
  }
  for (let t = 0; t < pass.steps; t++) {
    const a = ref.logits[t] as Float32Array;
    const b = pass.stepLogits(t);
    for (let i = 0; i < a.length; i++) dev.logit = Math.max(dev.logit, Math.abs((a[i] as number) - (b[i] as number)));
    if (task.temperatureMilli === 0) continue;
    const da = asliDistribution(a, task.topK, task.temperatureMilli);
    const db = asliDistribution(b, task.topK, task.temperatureMilli);
    // Order swaps of near-tied tokens are absorbed by epsLogit (tieTolerantInterval); eps only
    // has to cover boundary drift when both runs rank the top-K the same way.
    if (da.tokens.some((t, i) => db.tokens[i] !== t)) {
      dev.orderSwaps++;
      continue;
    }
    for (const token of da.tokens) {
      const ia = tokenInterval(da, token);
      const ib = tokenInterval(db, token);
      if (ia === null || ib === null) continue; // top-K membership flips are counted by the re-check
      dev.token = Math.max(dev.token, Math.abs(ia.lo - ib.lo), Math.abs(ia.hi - ib.hi));
    }
  }
}
