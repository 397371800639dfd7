import {
  type NodeKey,
  type SignedResult,
  signResult,
  signVerdict,
  type TaskSpec,
  VerdictKind,
  meetsDifficulty,
  powHash,
  asliDistribution,
} from '@aegis/protocol';
import { generate } from './asli.generator';
import { verifySubmission, type VerificationReport } from './asli.verifier';
import { builtinModelConfig } from './decoder.config';
import { encodeDecoder } from './decoder.graph';
import { generateWeights, perturbWeights, quantizeWeightsInt8 } from './decoder.weights';
import { encodeGgufVariant, requantizeInt8PerRow, requantizeQ4_0 } from './llama.import';
import type { ModelDescriptor } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { ModelRuntime } from './model.runtime';
import { TaskSampler } from './task.sampler';
import { TeacherForcedPass } from './teacher-forced.pass';
import { auditVerdictPow, proveVerdict } from './verifier.pow';
import { forgePowWithPartialPass, partialPassCovers, POW_GRIND_CLASSES } from './pow.forgery';
import { WeightPrng } from './weights.prng';

export const TAMPER_CLASSES = [
  'other-weights',
  'quantized',
  'altered-prompt',
  'altered-tokens',
  'copied-output',
  'fabricated-probes',
  'fabricated-pow',
  'skipped-last-block',
  ...POW_GRIND_CLASSES,
  'eps-steering',
] as const;
export type TamperClass = (typeof TAMPER_CLASSES)[number];

export interface AuditOptions {
  tasks: number;
  seed: string;
  /**
   * PoW difficulty for the audit's verdicts. Detection of fabricated values does not depend on
   * it (the audit recomputes the values), so it defaults low to keep the audit fast.
   */
  powBits: number;
  /** Relative noise of the other-weights tamper (fraction of each tensor's RMS). */
  perturbation: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_AUDIT_OPTIONS: Omit<AuditOptions, 'tasks'> = { seed: 'aegis-audit', powBits: 4, perturbation: 0.01 };

/** A pow-grind forger may walk this many times the honest 2^powBits nonces before it invents values. */
export const POW_GRIND_BUDGET_FACTOR = 64;

export interface AuditReport {
  honest: { tasks: number; rejected: number; powAuditsFailed: number };
  tamper: Record<TamperClass, { tries: number; caught: number }>;
  eps: number;
  epsLogit: number;
  tol: number;
  missBudget: number;
  /** Largest honest deviations the verifiers saw, in the units of eps, epsLogit and tol. */
  maxHonestDeviation: { token: number; logit: number; probe: number };
  verifierConfigurations: string[];
  powDifficultyBits: number;
  /**
   * The pow-grind-* forgers: nonces each may walk inside its partial pass (POW_GRIND_BUDGET_FACTOR
   * x 2^powBits) and how many proofs came from held values alone (a walk that never left the
   * partial pass; such a proof would pass the audit). A try is counted only where the partial pass
   * lacks a cell (prompt-only needs 2+ generated tokens).
   */
  powGrind: { budgetTries: number; proofsFromHeldValues: number; triesWalked: number };
  /**
   * Sampled steps of the honest runs at which another token would also have passed the
   * verifier's check (eps and the near-tie rule), over all sampled steps. eps-steering is tried
   * on each task with such a step: the node emits the first such alternative there and samples
   * honestly after it.
   */
  steerableShare: number;
  steering: { sampledSteps: number; steerableSteps: number; steerableByEps: number; tasksWithSteerableStep: number };
  modelId: string;
}

/**
 * The tampered models of the audit, as ONNX graphs under the honest descriptor: a different or
 * cheaper set of weights, an int8 requantisation, and the same model with its last block skipped.
 */
export interface AuditVariants {
  otherWeights: Uint8Array;
  quantized: Uint8Array;
  skippedLastBlock: Uint8Array;
}

/** A built-in model's variants: seeded weight noise, int8 per channel, the last block skipped. */
export function builtinAuditVariants(modelId: string, seed: string, perturbation: number): AuditVariants {
  const config = builtinModelConfig(modelId);
  const weights = generateWeights(config);
  return {
    otherWeights: encodeDecoder(config, perturbWeights(weights, `${seed}/perturb`, perturbation)),
    quantized: encodeDecoder(config, quantizeWeightsInt8(weights)),
    skippedLastBlock: encodeDecoder(config, weights, { skipLastBlocks: 1 }),
  };
}

/**
 * A real model's variants, from its GGUF: the realistic cheats of a node serving it, i.e. the
 * same model at a coarser quantisation (its Q4_1 matrices requantised to Q4_0), requantised to
 * int8 per row, and with its last block skipped.
 */
export async function ggufAuditVariants(gguf: string, descriptor: ModelDescriptor): Promise<AuditVariants> {
  const options = { modelId: descriptor.modelId, contextLength: descriptor.contextLength };
  return {
    otherWeights: await encodeGgufVariant(gguf, options, { transform: requantizeQ4_0 }),
    quantized: await encodeGgufVariant(gguf, options, { transform: requantizeInt8PerRow }),
    skippedLastBlock: await encodeGgufVariant(gguf, options, { skipLastBlocks: 1 }),
  };
}

/**
 * DESIGN 5's measured claim: honest runs, checked by verifiers in other configurations (other
 * thread count, other batch composition, separate sessions), are never rejected, and every
 * tamper class is caught. The tampered models come from `variants` (a real model's from its GGUF),
 * by default the built-in model's own.
 */
export async function runAudit(
  descriptor: ModelDescriptor,
  onnx: Uint8Array,
  options: AuditOptions,
  variants?: AuditVariants,
): Promise<AuditReport> {
  if (!Number.isInteger(options.tasks) || options.tasks < 1)
    throw new ModelError(ModelErrorCode.InvalidOption, 'tasks', 'must be a positive integer');
  if (!Number.isInteger(options.powBits) || options.powBits < 0 || options.powBits > 20) {
    throw new ModelError(ModelErrorCode.InvalidOption, 'powBits', 'must be an integer in [0, 20]');
  }
  const tampered = variants ?? builtinAuditVariants(descriptor.modelId, options.seed, options.perturbation);
  const auditDescriptor: ModelDescriptor = { ...descriptor, pow: { ...descriptor.pow, difficultyBits: options.powBits } };
  const log = options.onProgress ?? ((): void => undefined);

  const generator = await ModelRuntime.fromBytes(auditDescriptor, onnx, { intraOpThreads: 1 });
  const verifiers = [
    {
      name: 'threads=2 batch=1 separate session',
      runtime: await ModelRuntime.fromBytes(auditDescriptor, onnx, { intraOpThreads: 2 }),
      companions: 0,
    },
    {
      name: 'threads=1 batch=4 separate session',
      runtime: await ModelRuntime.fromBytes(auditDescriptor, onnx, { intraOpThreads: 1 }),
      companions: 3,
    },
  ];
  const otherWeights = await ModelRuntime.fromBytes(auditDescriptor, tampered.otherWeights, {});
  const quantized = await ModelRuntime.fromBytes(auditDescriptor, tampered.quantized, {});
  const skipped = await ModelRuntime.fromBytes(auditDescriptor, tampered.skippedLastBlock, {});

  const sampler = new TaskSampler(options.seed, descriptor);
  const noise = new WeightPrng(options.seed, 'tamper');
  const tamper = Object.fromEntries(TAMPER_CLASSES.map((c) => [c, { tries: 0, caught: 0 }])) as AuditReport['tamper'];
  const report: AuditReport = {
    honest: { tasks: 0, rejected: 0, powAuditsFailed: 0 },
    tamper,
    eps: descriptor.tolerance.eps,
    epsLogit: descriptor.tolerance.epsLogit,
    tol: descriptor.tolerance.tol,
    missBudget: descriptor.tolerance.missBudget,
    maxHonestDeviation: { token: 0, logit: 0, probe: 0 },
    verifierConfigurations: verifiers.map((v) => v.name),
    powDifficultyBits: options.powBits,
    powGrind: { budgetTries: POW_GRIND_BUDGET_FACTOR * 2 ** options.powBits, proofsFromHeldValues: 0, triesWalked: 0 },
    steerableShare: 0,
    steering: { sampledSteps: 0, steerableSteps: 0, steerableByEps: 0, tasksWithSteerableStep: 0 },
    modelId: descriptor.modelId,
  };

  try {
    for (let i = 0; i < options.tasks; i++) {
      const task = sampler.task();
      const node = sampler.key(2 * i);
      const verifierKey = sampler.key(2 * i + 1);
      const v = verifiers[i % verifiers.length] as (typeof verifiers)[number];
      const check = (signed: SignedResult, t: TaskSpec = task, measureSteering = false): Promise<VerificationReport> =>
        verifySubmission(v.runtime, t, signed, {
          companions: Array.from({ length: v.companions }, () => sampler.prompt()),
          measureSteering,
        });
      const caught = async (cls: TamperClass, signed: SignedResult): Promise<void> => {
        const r = await check(signed);
        tamper[cls].tries++;
        if (r.verdict === VerdictKind.REJECT) tamper[cls].caught++;
        else log(`audit: ${cls} NOT caught on task ${i}`);
      };

      // Honest: generated one way, verified another way; its PoW verdict must pass the audit.
      const honest = (await generate(generator, task, node)).signed;
      const verdict = await check(honest, task, true);
      report.honest.tasks++;
      const steering = verdict.steering;
      if (steering) {
        report.steering.sampledSteps += steering.sampledSteps;
        report.steering.steerableSteps += steering.steerableSteps;
        report.steering.steerableByEps += steering.steerableByEps;
      }
      const dev = report.maxHonestDeviation;
      dev.token = Math.max(dev.token, verdict.maxTokenDeviation);
      dev.logit = Math.max(dev.logit, verdict.maxLogitDeviation);
      dev.probe = Math.max(dev.probe, verdict.maxProbeDeviation);
      if (verdict.verdict !== VerdictKind.ACCEPT) {
        report.honest.rejected++;
        log(`audit: honest task ${i} rejected: ${JSON.stringify(verdict.reasons.slice(0, 3))}`);
      }
      // The PoW checker's own teacher-forced pass, in yet another session (the generator's).
      const auditorPass = await TeacherForcedPass.run(generator, task.promptTokens, honest.result.tokens);
      if (verdict.pass !== null) {
        const proven = proveVerdict(auditDescriptor, verdict.pass, honest, verdict.verdict, verifierKey);
        if (!auditVerdictPow(auditDescriptor, auditorPass, honest, proven.verdict).ok) report.honest.powAuditsFailed++;
      }

      await caught('other-weights', (await generate(otherWeights, task, node)).signed);
      await caught('quantized', (await generate(quantized, task, node)).signed);
      await caught('skipped-last-block', (await generate(skipped, task, node)).signed);
      await caught(
        'altered-prompt',
        (await generate(generator, task, node, { promptForModel: alterPrompt(task.promptTokens, noise) })).signed,
      );
      await caught('altered-tokens', await alterToken(honest, task, auditorPass, noise, node));
      await caught('copied-output', signResult({ ...honest.result, node: sampler.key(2 * i + 2).address }, sampler.key(2 * i + 2)));
      await caught('fabricated-probes', fabricateProbes(honest, node, noise, descriptor.probe.q));

      // A lazy verifier: grinds the nonce with invented values instead of running the model.
      const lazy = grindLazy(auditDescriptor, honest, verifierKey, noise);
      tamper['fabricated-pow'].tries++;
      if (!auditVerdictPow(auditDescriptor, auditorPass, honest, lazy).ok) tamper['fabricated-pow'].caught++;
      else log(`audit: fabricated-pow NOT caught on task ${i}`);

      // Lazy verifiers with a partial pass: walks that stay inside it, else invented values.
      const lazyPass = verdict.pass ?? auditorPass;
      const shape = lazyPass.shape(descriptor.layers);
      for (const cls of POW_GRIND_CLASSES) {
        if (cls === 'pow-grind-prompt-only' && shape.positions <= task.promptTokens.length) continue; // the prompt pass is the whole pass
        const covers = partialPassCovers(cls, shape, task.promptTokens.length);
        const invent = (): number => Math.round(noise.nextSigned() * 3 * 2 ** descriptor.probe.q);
        const forged = forgePowWithPartialPass(auditDescriptor, lazyPass, honest, verifierKey, covers, report.powGrind.budgetTries, invent);
        report.powGrind.triesWalked += forged.tries;
        if (forged.fromHeldValues) report.powGrind.proofsFromHeldValues++;
        tamper[cls].tries++;
        if (!auditVerdictPow(auditDescriptor, auditorPass, honest, forged.verdict).ok) tamper[cls].caught++;
        else
          log(
            `audit: ${cls} NOT caught on task ${i} (${forged.fromHeldValues ? 'walk inside the partial pass' : 'invented values within tol'})`,
          );
      }

      // A node running the honest model that steers one step within the tolerance.
      const first = steering?.steerable[0];
      if (first !== undefined) {
        report.steering.tasksWithSteerableStep++;
        const steered = await generate(generator, task, node, { steer: { step: first.step, token: first.alternatives[0] as number } });
        await caught('eps-steering', steered.signed);
      }

      if ((i + 1) % 25 === 0) log(`audit: ${i + 1}/${options.tasks} tasks`);
    }
  } finally {
    for (const r of [generator, otherWeights, quantized, skipped, ...verifiers.map((x) => x.runtime)]) await r.release();
  }
  report.steerableShare = report.steering.sampledSteps > 0 ? report.steering.steerableSteps / report.steering.sampledSteps : 0;
  return report;
}

/** One prompt token (never the BOS at 0 when there is another) replaced by a different byte. */
function alterPrompt(prompt: readonly number[], prng: WeightPrng): number[] {
  const out = [...prompt];
  const at = prompt.length > 1 ? 1 + (prng.nextUint32() % (prompt.length - 1)) : 0;
  out[at] = ((out[at] as number) + 1 + (prng.nextUint32() % 255)) % 256;
  return out;
}

/**
 * One output token replaced by the most plausible alternative (the best other candidate of the
 * honest distribution at that step), the hardest single substitution to spot; re-signed by the
 * node, since a cheating node signs what it sends.
 */
async function alterToken(
  honest: SignedResult,
  task: TaskSpec,
  pass: TeacherForcedPass,
  prng: WeightPrng,
  node: NodeKey,
): Promise<SignedResult> {
  const tokens = [...honest.result.tokens];
  const t = prng.nextUint32() % tokens.length;
  const original = tokens[t] as number;
  const dist = asliDistribution(pass.stepLogits(t), Math.max(2, task.topK), Math.max(1, task.temperatureMilli));
  let replacement = Array.from(dist.tokens).find((x) => x !== original);
  if (replacement === undefined) replacement = (original + 1) % pass.vocab;
  tokens[t] = replacement;
  return signResult({ ...honest.result, tokens }, node);
}

/** Probe values invented at the right scale (as if drawn from the hidden-state distribution). */
function fabricateProbes(honest: SignedResult, node: NodeKey, prng: WeightPrng, q: number): SignedResult {
  const scale = 3 * 2 ** q;
  const probes = honest.result.probes.map((p) => ({ ...p, value: Math.round(prng.nextSigned() * scale) }));
  return signResult({ ...honest.result, probes }, node);
}

function grindLazy(d: ModelDescriptor, submission: SignedResult, key: NodeKey, prng: WeightPrng) {
  const scale = 3 * 2 ** d.probe.q;
  for (let nonce = 0n; ; nonce++) {
    const values = Array.from({ length: d.pow.positions }, () => Math.round(prng.nextSigned() * scale));
    if (meetsDifficulty(powHash(key.address, submission.digest, nonce, values), d.pow.difficultyBits)) {
      return signVerdict({ submissionDigest: submission.digest, verifier: key.address, kind: VerdictKind.ACCEPT, nonce, values }, key);
    }
  }
}
