import {
  asliDistribution,
  equalBytes,
  keccak256,
  NodeKey,
  signResult,
  type SignedResult,
  type TaskSpec,
  toHex,
  utf8,
  VerdictKind,
  signVerdict,
} from '@aegis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from './asli.generator';
import { acceptedAlternatives, tieTolerantInterval, verifySubmission } from './asli.verifier';
import { builtinModelConfig, TINY_MODEL_ID } from './decoder.config';
import { encodeDecoder } from './decoder.graph';
import { generateWeights, perturbWeights, quantizeWeightsInt8 } from './decoder.weights';
import { ModelErrorCode } from './model.errors';
import { ModelRuntime } from './model.runtime';
import type { LoadedModelFiles } from './model.store';
import { buildTinyModelForTest } from './model.testing';
import { TeacherForcedPass } from './teacher-forced.pass';
import { auditVerdictPow, proveVerdict } from './verifier.pow';

const key = (name: string): NodeKey => NodeKey.fromHex(toHex(keccak256(utf8(name))));
const alice = key('alice');
const bob = key('bob');
const verifierKey = key('verifier');

let files: LoadedModelFiles;
let gen: ModelRuntime;
let ver: ModelRuntime;
beforeAll(async () => {
  files = buildTinyModelForTest();
  gen = await ModelRuntime.open(files.dir, { intraOpThreads: 1 });
  ver = await ModelRuntime.open(files.dir, { intraOpThreads: 2 });
});
afterAll(async () => {
  await gen.release();
  await ver.release();
});

function task(over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    modelId: TINY_MODEL_ID,
    promptTokens: gen.tokenizer.encode('The verifier recomputes'),
    maxNewTokens: 24,
    topK: 40,
    temperatureMilli: 900,
    stopTokens: [],
    nonce: 7n,
    ...over,
  };
}

async function honest(t: TaskSpec = task(), k: NodeKey = alice): Promise<SignedResult> {
  return (await generate(gen, t, k)).signed;
}

describe('ASLI generation', () => {
  it('is deterministic for a node and task, and differs between nodes', async () => {
    const a = await honest();
    const b = await honest();
    expect(a.result.tokens).toEqual(b.result.tokens);
    expect(equalBytes(a.digest, b.digest)).toBe(true);
    const c = await honest(task(), bob);
    expect(c.result.tokens).not.toEqual(a.result.tokens);
  });

  it('splits its wall time into setup, decode (prefill within it) and finish', async () => {
    const { timings } = await generate(gen, task(), alice);
    expect(timings.steps).toBe(24);
    for (const ms of [timings.setupMs, timings.decodeMs, timings.prefillMs, timings.finishMs]) expect(ms).toBeGreaterThan(0);
    expect(timings.prefillMs).toBeLessThanOrEqual(timings.decodeMs);
    expect(timings.setupMs + timings.decodeMs + timings.finishMs).toBeCloseTo(timings.totalMs, 6);
  });

  it('reports probes at the positions the seed selects, over prompt and output', async () => {
    const r = await honest();
    // The descriptor's random probes, then the final probe (last layer, last consumed position).
    expect(r.result.probes).toHaveLength(files.descriptor.probe.count + 1);
    const positions = task().promptTokens.length + r.result.tokens.length - 1;
    for (const p of r.result.probes) expect(p.position).toBeLessThan(positions);
    expect(r.result.probes.at(-1)).toMatchObject({ layer: files.descriptor.layers - 1, position: positions - 1 });
  });

  it('stops at a stop token and includes it', async () => {
    // Greedy from a fixed prompt: make the first greedy token a stop token.
    const first = (await honest(task({ temperatureMilli: 0, maxNewTokens: 1 }))).result.tokens[0]!;
    const r = await honest(task({ temperatureMilli: 0, stopTokens: [first] }));
    expect(r.result.tokens).toEqual([first]);
    expect((await verifySubmission(ver, task({ temperatureMilli: 0, stopTokens: [first] }), r)).verdict).toBe(VerdictKind.ACCEPT);
  });

  it('refuses bad tasks with a ModelError naming the field', async () => {
    const cases: [Partial<TaskSpec>, string, ModelErrorCode][] = [
      [{ topK: 0 }, 'topK', ModelErrorCode.InvalidTask],
      [{ topK: 259 }, 'topK', ModelErrorCode.InvalidTask],
      [{ temperatureMilli: -1 }, 'temperatureMilli', ModelErrorCode.InvalidTask],
      [{ promptTokens: new Array<number>(300).fill(65) }, 'promptTokens', ModelErrorCode.InvalidTask],
      [{ promptTokens: new Array<number>(250).fill(65), maxNewTokens: 10 }, 'maxNewTokens', ModelErrorCode.InvalidTask],
      [{ modelId: 'gpt-5' }, 'modelId', ModelErrorCode.UnknownModel],
    ];
    for (const [over, field, code] of cases) {
      await expect(generate(gen, task(over), alice)).rejects.toMatchObject({ field, code });
    }
  });
});

describe('teacher-forced verification', () => {
  it('accepts honest results across threads and batch composition, greedy and sampled', async () => {
    for (const t of [task(), task({ temperatureMilli: 0 }), task({ topK: 258, temperatureMilli: 1500 }), task({ topK: 1 })]) {
      const r = await honest(t);
      const alone = await verifySubmission(ver, t, r);
      const batched = await verifySubmission(ver, t, r, {
        companions: [[256, 1, 2], gen.tokenizer.encode('a much longer companion prompt in the same batch')],
      });
      for (const report of [alone, batched]) {
        expect(report.reasons).toEqual([]);
        expect(report.verdict).toBe(VerdictKind.ACCEPT);
        expect(report.maxProbeDeviation).toBeLessThanOrEqual(files.descriptor.tolerance.tol);
      }
    }
  });

  it('rejects output from other weights and from an int8-quantised model', async () => {
    const config = builtinModelConfig(TINY_MODEL_ID);
    const w = generateWeights(config);
    for (const variant of [perturbWeights(w, 'test', 0.01), quantizeWeightsInt8(w)]) {
      const cheat = await ModelRuntime.fromBytes(files.descriptor, encodeDecoder(config, variant));
      const r = (await generate(cheat, task(), alice)).signed;
      await cheat.release();
      const report = await verifySubmission(ver, task(), r);
      expect(report.verdict).toBe(VerdictKind.REJECT);
      expect(report.reasons.some((x) => x.kind === 'probe')).toBe(true);
    }
  });

  it('rejects an answer to an altered prompt', async () => {
    const prompt = [...task().promptTokens];
    prompt[3] = (prompt[3]! + 1) % 256;
    const r = (await generate(gen, task(), alice, { promptForModel: prompt })).signed;
    expect((await verifySubmission(ver, task(), r)).verdict).toBe(VerdictKind.REJECT);
  });

  it('rejects one altered token at the altered step', async () => {
    const r = await honest();
    const tokens = [...r.result.tokens];
    tokens[5] = (tokens[5]! + 1) % 256;
    const report = await verifySubmission(ver, task(), signResult({ ...r.result, tokens }, alice));
    expect(report.verdict).toBe(VerdictKind.REJECT);
    expect(report.reasons.find((x) => x.kind === 'token')?.step).toBe(5);
  });

  it('rejects output copied by another node (its seed selects other probes)', async () => {
    const r = await honest();
    const copied = signResult({ ...r.result, node: bob.address }, bob);
    const report = await verifySubmission(ver, task(), copied);
    expect(report.verdict).toBe(VerdictKind.REJECT);
    expect(report.reasons[0]?.kind).toBe('shape');
  });

  it('rejects fabricated probe values, a forged signature, truncation and a foreign task', async () => {
    const r = await honest();
    const probes = r.result.probes.map((p, i) => (i === 3 ? { ...p, value: p.value + 1000 } : p));
    const fab = await verifySubmission(ver, task(), signResult({ ...r.result, probes }, alice));
    expect(fab.verdict).toBe(VerdictKind.REJECT);
    expect(fab.reasons).toEqual([expect.objectContaining({ kind: 'probe', probe: 3 })]);

    const forged = { ...r, signature: bob.sign(r.digest) };
    expect((await verifySubmission(ver, task(), forged)).reasons[0]?.kind).toBe('signature');

    const truncated = signResult({ ...r.result, tokens: r.result.tokens.slice(0, 10) }, alice);
    expect((await verifySubmission(ver, task(), truncated)).reasons[0]?.kind).toBe('shape');

    expect((await verifySubmission(ver, task({ nonce: 8n }), r)).reasons[0]?.kind).toBe('shape');
  });
});

describe('verifier proof of work', () => {
  it('grinds a nonce from hidden states, and the audit accepts it from an independent pass', async () => {
    const t = task();
    const r = await honest(t);
    const report = await verifySubmission(ver, t, r);
    const d = { ...files.descriptor, pow: { ...files.descriptor.pow, difficultyBits: 6 } };
    const proven = proveVerdict(d, report.pass!, r, report.verdict, verifierKey);
    expect(proven.tries).toBeGreaterThan(0);
    const auditorPass = await TeacherForcedPass.run(gen, t.promptTokens, r.result.tokens);
    expect(auditVerdictPow(d, auditorPass, r, proven.verdict)).toMatchObject({ ok: true });

    // Same nonce, values invented: meets the target only by luck, and the audit recomputes them.
    const v = proven.verdict.verdict;
    const fake = signVerdict({ ...v, values: v.values.map((x) => x + 500) }, verifierKey);
    expect(auditVerdictPow({ ...d, pow: { ...d.pow, difficultyBits: 0 } }, auditorPass, r, fake)).toMatchObject({
      ok: false,
      problem: 'values',
    });
    // A verdict on another submission is not audited against this one.
    const other = await honest(task({ nonce: 9n }));
    expect(auditVerdictPow(d, auditorPass, other, proven.verdict)).toMatchObject({ ok: false, problem: 'submission' });
  });
});

describe('tie-tolerant token interval', () => {
  it('lets near-tied tokens sit on either side of each other, and nothing else', () => {
    const logits = new Float32Array(8).fill(-3);
    logits[0] = 2;
    logits[1] = 2 + 1e-6; // ranks first, but only by float noise
    logits[2] = 1;
    const dist = asliDistribution(logits, 4, 1000);
    const p = (i: number): number => dist.weights[i]! / dist.total;
    const strict0 = tieTolerantInterval(dist, logits, 0, 0)!;
    expect(strict0.lo).toBeCloseTo(p(0), 12); // after token 1
    const loose0 = tieTolerantInterval(dist, logits, 0, 1e-4)!;
    expect(loose0.lo).toBe(0);
    expect(loose0.hi).toBeCloseTo(p(0) + p(1), 12);
    // Token 2 is not tied with anything: its interval does not move.
    expect(tieTolerantInterval(dist, logits, 2, 1e-4)).toEqual(tieTolerantInterval(dist, logits, 2, 0));
    expect(tieTolerantInterval(dist, logits, 7, 1e-4)).not.toBeNull(); // ties the 4th (token 3), just outside
    expect(tieTolerantInterval(dist, logits, 7, 0)).toBeNull(); // strictly: outside the top-K
  });

  it('accepts a token just outside the top-K only when it ties the K-th, at the tail', () => {
    const logits = new Float32Array(8).fill(-5);
    logits[0] = 2;
    logits[1] = 1;
    logits[2] = 0;
    logits[3] = -1; // the K-th (K = 4)
    logits[4] = -1 - 1e-6; // float noise below it: the generator may have ranked it 4th
    const dist = asliDistribution(logits, 4, 1000);
    const tail = tieTolerantInterval(dist, logits, 4, 1e-4)!;
    const before = (dist.weights[0]! + dist.weights[1]! + dist.weights[2]!) / dist.total;
    expect(tail.lo).toBeCloseTo(before, 12);
    expect(tail.hi).toBeCloseTo(1, 12);
    expect(tieTolerantInterval(dist, logits, 5, 1e-4)).toBeNull(); // 4 below the K-th: not a tie
  });
});

describe('steerable steps (acceptedAlternatives)', () => {
  const logits = Float32Array.from([2, 1, 0, -1, -2, -3, -4, -5]);
  const dist = asliDistribution(logits, 4, 1000);
  const cum = (j: number): number => dist.weights.slice(0, j + 1).reduce((a, b) => a + b, 0) / dist.total;
  const tolerance = { eps: 1e-3, epsLogit: 1e-4 };

  it('finds the neighbour whose interval lies within eps of U_t, and nothing when U_t is clear of every boundary', () => {
    const boundary = cum(0); // between token 0 and token 1
    expect(acceptedAlternatives(dist, logits, 0, boundary - 5e-4, tolerance)).toEqual([1]);
    expect(acceptedAlternatives(dist, logits, 1, boundary + 5e-4, tolerance)).toEqual([0]);
    expect(acceptedAlternatives(dist, logits, 0, boundary / 2, tolerance)).toEqual([]);
    expect(acceptedAlternatives(dist, logits, 0, boundary - 5e-4, { ...tolerance, eps: 1e-4 })).toEqual([]);
  });

  it('counts a near-tied token as steerable anywhere in the tied block', () => {
    const tied = Float32Array.from([2, 2 + 1e-6, 0, -1, -2, -3, -4, -5]);
    const d = asliDistribution(tied, 4, 1000);
    const mid = d.weights[0]! / d.total / 2; // well inside the first token's interval
    const claimed = d.tokens[0]!;
    expect(acceptedAlternatives(d, tied, claimed, mid, tolerance)).toEqual([claimed === 0 ? 1 : 0]);
    expect(acceptedAlternatives(d, tied, claimed, mid, { eps: 1e-3, epsLogit: 1e-7 })).toEqual([]);
  });
});
