import {
  type AsliDistribution,
  asliDistribution,
  asliSeed,
  equalBytes,
  asliProbePositions,
  type SignedResult,
  stepRandom,
  type TaskSpec,
  taskHash,
  uniformOf,
  VerdictKind,
  verifySignedResult,
} from '@aegis/protocol';
import type { ToleranceConfig } from './model.descriptor';
import type { ModelRuntime } from './model.runtime';
import { TeacherForcedPass } from './teacher-forced.pass';

export type ReasonKind = 'token' | 'probe' | 'shape' | 'signature';

export interface VerificationReason {
  kind: ReasonKind;
  /** Decode step, for token reasons. */
  step?: number;
  /** Index into the submission's probes, for probe reasons. */
  probe?: number;
  detail: string;
}

export interface VerificationReport {
  verdict: VerdictKind;
  reasons: VerificationReason[];
  /** Largest distance of U_t outside the claimed token's interval (probability units), sampled steps. */
  maxTokenDeviation: number;
  /** Largest (max logit - claimed token's logit) on greedy steps, logit units. */
  maxLogitDeviation: number;
  /** Largest |q - q'| over the submission's probes, quantised units. */
  maxProbeDeviation: number;
  /** Token and probe checks that failed (counted against the miss budget). */
  misses: number;
  /** The teacher-forced pass, for the verifier's PoW; null when the submission could not be run. */
  pass: TeacherForcedPass | null;
  /** With VerifyOptions.measureSteering: how many sampled steps would also have accepted another token. */
  steering?: SteeringCount;
}

export interface SteeringCount {
  sampledSteps: number;
  /** Sampled steps at which some token other than the claimed one passes the same check. */
  steerableSteps: number;
  /** Of those, the steps steerable without the near-tie rule (eps at an interval boundary alone). */
  steerableByEps: number;
  /** Per steerable step: the step and the other tokens that pass there. */
  steerable: { step: number; alternatives: number[] }[];
}

export interface VerifyOptions {
  /** Defaults to the descriptor's calibrated tolerances. */
  tolerance?: ToleranceConfig;
  /** Other sequences to batch with the teacher-forced pass. */
  companions?: readonly (readonly number[])[];
  /** Count steerable steps (the audit's measure; O(K^2) per sampled step, so off by default). */
  measureSteering?: boolean;
}

/**
 * Teacher-forced verification (DESIGN 2.3) of submission `signed` for `task`: one forward pass,
 * then every decode step's token and every probe checked against the verifier's own numbers,
 * within the calibrated tolerances. Never throws for a bad submission: all problems are reasons.
 */
export async function verifySubmission(
  runtime: ModelRuntime,
  task: TaskSpec,
  signed: SignedResult,
  options: VerifyOptions = {},
): Promise<VerificationReport> {
  runtime.validateTask(task); // a bad task is the caller's error, not the submitter's
  const d = runtime.descriptor;
  const tolerance = options.tolerance ?? d.tolerance;
  const report: VerificationReport = {
    verdict: VerdictKind.REJECT,
    reasons: [],
    maxTokenDeviation: 0,
    maxLogitDeviation: 0,
    maxProbeDeviation: 0,
    misses: 0,
    pass: null,
  };
  const reject = (kind: ReasonKind, detail: string): VerificationReport => {
    report.reasons.push({ kind, detail });
    return report;
  };

  if (!verifySignedResult(signed)) return reject('signature', 'digest or signature does not match the result and its node');
  const { result } = signed;
  const th = taskHash(task);
  if (!equalBytes(result.taskHash, th)) return reject('shape', 'result is for another task (task hash differs)');

  const tokens = result.tokens;
  const n = tokens.length;
  if (n < 1 || n > task.maxNewTokens) return reject('shape', `${n} tokens; expected 1..${task.maxNewTokens}`);
  const badId = tokens.findIndex((t) => !Number.isInteger(t) || t < 0 || t >= d.vocabSize);
  if (badId >= 0) return reject('shape', `token ${badId} (${String(tokens[badId])}) is not in the vocabulary`);
  const stops = new Set(task.stopTokens);
  const earlyStop = tokens.findIndex((t, i) => i < n - 1 && stops.has(t));
  if (earlyStop >= 0) return reject('shape', `stop token at step ${earlyStop} but generation went on`);
  if (n < task.maxNewTokens && !stops.has(tokens[n - 1] as number)) {
    return reject('shape', `output ends after ${n} of ${task.maxNewTokens} tokens without a stop token`);
  }

  const seed = asliSeed(result.node, th);
  const shape = { layers: d.layers, positions: task.promptTokens.length + n - 1, hidden: d.hidden };
  const expected = asliProbePositions(seed, d.probe.count, shape);
  const probes = result.probes;
  if (probes.length !== expected.length) return reject('shape', `${probes.length} probes; expected ${expected.length}`);
  const wrongAt = expected.findIndex((e, i) => {
    const p = probes[i];
    return p === undefined || p.layer !== e.layer || p.position !== e.position || p.index !== e.index;
  });
  if (wrongAt >= 0) return reject('shape', `probe ${wrongAt} is not at the position this node's seed selects`);

  const pass = await TeacherForcedPass.run(runtime, task.promptTokens, tokens, options.companions);
  report.pass = pass;
  const steering: SteeringCount | undefined = options.measureSteering
    ? { sampledSteps: 0, steerableSteps: 0, steerableByEps: 0, steerable: [] }
    : undefined;
  report.steering = steering;

  for (let t = 0; t < n; t++) {
    const claimed = tokens[t] as number;
    const logits = pass.stepLogits(t);
    if (task.temperatureMilli === 0) {
      let max = -Infinity;
      for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
      const dev = max - (logits[claimed] as number);
      report.maxLogitDeviation = Math.max(report.maxLogitDeviation, dev);
      if (dev > tolerance.epsLogit) {
        report.misses++;
        report.reasons.push({ kind: 'token', step: t, detail: `greedy token ${claimed} is ${dev} below the max logit` });
      }
      continue;
    }
    const dist = asliDistribution(logits, task.topK, task.temperatureMilli);
    const interval = tieTolerantInterval(dist, logits, claimed, tolerance.epsLogit);
    if (interval === null) {
      report.misses++;
      report.maxTokenDeviation = Math.max(report.maxTokenDeviation, 1);
      report.reasons.push({ kind: 'token', step: t, detail: `token ${claimed} is not in the verifier's top-${task.topK}` });
      continue;
    }
    const u = uniformOf(stepRandom(seed, t));
    if (steering) {
      steering.sampledSteps++;
      const alternatives = acceptedAlternatives(dist, logits, claimed, u, tolerance);
      if (alternatives.length > 0) {
        steering.steerableSteps++;
        if (acceptedAlternatives(dist, logits, claimed, u, { eps: tolerance.eps, epsLogit: 0 }).length > 0) steering.steerableByEps++;
        steering.steerable.push({ step: t, alternatives });
      }
    }
    const dev = u < interval.lo ? interval.lo - u : u >= interval.hi ? u - interval.hi : 0;
    report.maxTokenDeviation = Math.max(report.maxTokenDeviation, dev);
    if (!(interval.lo - tolerance.eps <= u && u < interval.hi + tolerance.eps)) {
      report.misses++;
      report.reasons.push({
        kind: 'token',
        step: t,
        detail: `U_t=${u} outside [${interval.lo}, ${interval.hi}) of token ${claimed} by ${dev}`,
      });
    }
  }

  const values = pass.valuesAt(expected);
  for (let i = 0; i < probes.length; i++) {
    const dev = Math.abs((probes[i]?.value ?? 0) - (values[i] as number));
    report.maxProbeDeviation = Math.max(report.maxProbeDeviation, dev);
    if (!(dev <= tolerance.tol)) {
      report.misses++;
      report.reasons.push({
        kind: 'probe',
        probe: i,
        detail: `value ${probes[i]?.value} vs ${values[i]} (|diff| ${dev} > tol ${tolerance.tol})`,
      });
    }
  }

  if (report.misses <= tolerance.missBudget) report.verdict = VerdictKind.ACCEPT;
  return report;
}

/**
 * The claimed token's interval [lo, hi) in probability units, widened for near-ties. Top-K
 * order is (logit desc, id asc), so two tokens whose logits differ by float noise can swap
 * between the generator's and the verifier's runs, which moves both intervals by a whole
 * token's mass (calibration saw 2e-3). Tokens whose logits are within `epsLogit` of the claimed
 * one may therefore sit on either side: lo excludes their mass, hi includes it. A cheater gains
 * only the freedom to pick among tokens the model rates equal.
 */
export function tieTolerantInterval(
  dist: AsliDistribution,
  logits: Float32Array,
  claimed: number,
  epsLogit: number,
): { lo: number; hi: number } | null {
  const j = dist.tokens.indexOf(claimed);
  const v = logits[claimed] as number;
  if (j < 0) {
    // Not in the verifier's top-K. Honest only if it ties (within epsLogit) with the K-th token:
    // then float noise can have put it inside the generator's top-K, in that token's place, with
    // about that token's weight. Its interval is then the tied block at the tail.
    const k = dist.tokens.length;
    const last = logits[dist.tokens[k - 1] as number] as number;
    // Strict: at epsLogit 0 an exact tie is broken by id in both runs, so it cannot have moved.
    if (!(last - v < epsLogit)) return null;
    let lo = 0;
    let tiedMass = 0;
    for (let i = 0; i < k; i++) {
      const w = dist.weights[i] as number;
      if (Math.abs((logits[dist.tokens[i] as number] as number) - v) <= epsLogit) tiedMass += w;
      else lo += w;
    }
    return { lo: lo / dist.total, hi: (lo + tiedMass) / dist.total };
  }
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < dist.tokens.length; i++) {
    const w = dist.weights[i] as number;
    const tied = i !== j && Math.abs((logits[dist.tokens[i] as number] as number) - v) <= epsLogit;
    if (i < j && !tied) lo += w;
    if (i <= j || tied) hi += w;
  }
  return { lo: lo / dist.total, hi: hi / dist.total };
}

/** Whether the sampled-step check accepts `token` at U_t = `u` (the rule verifySubmission applies). */
export function tokenPasses(
  dist: AsliDistribution,
  logits: Float32Array,
  token: number,
  u: number,
  tolerance: Pick<ToleranceConfig, 'eps' | 'epsLogit'>,
): boolean {
  const interval = tieTolerantInterval(dist, logits, token, tolerance.epsLogit);
  return interval !== null && interval.lo - tolerance.eps <= u && u < interval.hi + tolerance.eps;
}

/**
 * The tokens other than `claimed` that the same check would accept at this step: the freedom a
 * node running the honest model has to steer the output (docs/asli.md, "What a node may do").
 * Candidates are the top-K and the tokens outside it tied (within epsLogit) with its last one.
 */
export function acceptedAlternatives(
  dist: AsliDistribution,
  logits: Float32Array,
  claimed: number,
  u: number,
  tolerance: Pick<ToleranceConfig, 'eps' | 'epsLogit'>,
): number[] {
  const candidates = new Set<number>(dist.tokens);
  const k = dist.tokens.length;
  const last = logits[dist.tokens[k - 1] as number] as number;
  for (let i = 0; i < logits.length; i++) if (last - (logits[i] as number) < tolerance.epsLogit) candidates.add(i);
  candidates.delete(claimed);
  return [...candidates].filter((c) => tokenPasses(dist, logits, c, u, tolerance)).sort((a, b) => a - b);
}
