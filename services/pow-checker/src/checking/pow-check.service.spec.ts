import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoisonMessageError } from '@aegis/bus';
import {
  CheckOutcome,
  createTopicMessage,
  signedResultToWire,
  signedVerdictToWire,
  StakeView,
  TOPICS,
  type Verdict,
} from '@aegis/contracts';
import { buildModel, generate, ModelRuntime, proveVerdict, TeacherForcedPass, TINY_MODEL_ID } from '@aegis/model';
import {
  fromHex,
  grindPow,
  NodeKey,
  type SignedResult,
  type SignedVerdict,
  signVerdict,
  type TaskSpec,
  toHex,
  VerdictKind,
} from '@aegis/protocol';
import { BeaconChain } from '@aegis/consensus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PowCheckService } from './pow-check.service';
import { SubmissionCache } from './submission.cache';
import { Registry } from 'prom-client';
import { PowCheckerMetrics } from '../pow-checker.metrics';
import { CaptureBus } from '@aegis/testing';

const key = (i: number): NodeKey => NodeKey.fromHex((i + 1).toString(16).padStart(64, '0'));
const worker = key(0);
const verifier = key(1);
const outsider = key(2);
const spec: TaskSpec = {
  modelId: TINY_MODEL_ID,
  promptTokens: [256, 80, 81],
  maxNewTokens: 8,
  topK: 16,
  temperatureMilli: 900,
  stopTokens: [],
  nonce: 4n,
};

describe('PowCheckService', () => {
  let dir: string;
  let runtime: ModelRuntime;
  let signed: SignedResult;
  let honestVerdict: SignedVerdict;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aegis-checker-'));
    buildModel(TINY_MODEL_ID, dir);
    runtime = await ModelRuntime.open(dir);
    signed = (await generate(runtime, spec, worker)).signed;
    const pass = await TeacherForcedPass.run(runtime, spec.promptTokens, signed.result.tokens);
    honestVerdict = proveVerdict(runtime.descriptor, pass, signed, VerdictKind.ACCEPT, verifier).verdict;
  });
  afterAll(async () => {
    await runtime.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const make = (auditShare: number, cached = true): { sut: PowCheckService; bus: CaptureBus; registry: Registry } => {
    const stakes = new StakeView(100n);
    for (const k of [worker, verifier]) stakes.set(k.address, 1_000n);
    const cache = new SubmissionCache();
    const beacon = { height: 1n, value: new Uint8Array(32).fill(3), previous: new Uint8Array(32), signature: new Uint8Array(65) };
    if (cached)
      cache.addSubmission(
        createTopicMessage(TOPICS.submissions, { result: signedResultToWire(signed, spec), beacon, verifiersPerTask: 2 }),
      );
    const bus = new CaptureBus();
    const registry = new Registry();
    return {
      sut: new PowCheckService({ runtime, auditShare, instanceId: 't' }, stakes, bus, cache, new PowCheckerMetrics(registry)),
      bus,
      registry,
    };
  };

  const wire = (v: SignedVerdict): Verdict =>
    createTopicMessage(
      TOPICS.verdicts,
      signedVerdictToWire(v, { taskHash: signed.result.taskHash, submitter: worker.address, beaconHeight: 1n, reason: '' }),
    );

  const lazy = (k: NodeKey): SignedVerdict => {
    const d = runtime.descriptor;
    const shape = { layers: d.layers, positions: spec.promptTokens.length + signed.result.tokens.length - 1, hidden: d.hidden };
    let x = 1;
    const sol = grindPow(
      k.address,
      signed.digest,
      shape,
      d.pow.positions,
      d.pow.difficultyBits,
      () => (x = (x * 48271) % 2147483647) % 1000,
    );
    return signVerdict(
      { submissionDigest: signed.digest, verifier: k.address, kind: VerdictKind.ACCEPT, nonce: sol.nonce, values: sol.values },
      k,
    );
  };

  it('passes an honest verdict under audit and publishes it keyed by task hash', async () => {
    const { sut, bus } = make(1);
    expect(await sut.onVerdict(wire(honestVerdict), 1)).toMatchObject({ outcome: CheckOutcome.PASSED, audited: true });
    expect(bus.records.map((r) => r.topic)).toEqual([TOPICS.checkedVerdicts]);
  });

  it('catches fabricated PoW values when audited, and only then; counts verdicts by outcome and audits', async () => {
    const audited = make(1);
    expect((await audited.sut.onVerdict(wire(lazy(verifier)), 1)).outcome).toBe(CheckOutcome.AUDIT_FAILED);
    const unaudited = make(0);
    expect(await unaudited.sut.onVerdict(wire(lazy(verifier)), 1)).toMatchObject({ outcome: CheckOutcome.PASSED, audited: false });
    const count = async (registry: Registry, name: string, labels: Record<string, string>): Promise<number> =>
      ((await registry.getSingleMetric(name)?.get())?.values ?? [])
        .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
        .reduce((n, v) => n + v.value, 0);
    expect(await count(audited.registry, 'aegis_pow_checker_verdicts_total', { outcome: 'audit-failed' })).toBe(1);
    expect(await count(audited.registry, 'aegis_pow_checker_audits_total', { dispute: 'false' })).toBe(1);
    expect(await count(unaudited.registry, 'aegis_pow_checker_verdicts_total', { outcome: 'passed' })).toBe(1);
    expect(await count(unaudited.registry, 'aegis_pow_checker_audits_total', {})).toBe(0);
  });

  it('fails a verdict whose values miss the target, and one from a node without stake', async () => {
    const broken = signVerdict({ ...honestVerdict.verdict, values: honestVerdict.verdict.values.map((v) => v + 1) }, verifier);
    const outcome = (await make(1).sut.onVerdict(wire(broken), 1)).outcome;
    // Changed values either miss the target or, by a 2^-bits chance, pass it and fail the audit.
    expect([CheckOutcome.POW_FAILED, CheckOutcome.AUDIT_FAILED]).toContain(outcome);
    expect((await make(1).sut.onVerdict(wire(lazy(outsider)), 1)).outcome).toBe(CheckOutcome.NOT_ELIGIBLE);
  });

  it('on a cache miss asks the tallier (SubmissionLookup) and checks what it returns', async () => {
    const control = key(40);
    const link = BeaconChain.fromGenesis(control, 'checker-spec').append(signed.digest);
    const beacon = {
      height: BigInt(link.index),
      value: fromHex(link.beacon, 32),
      previous: fromHex(link.prev, 32),
      signature: fromHex(link.signature, 65),
    };
    const submission = createTopicMessage(TOPICS.submissions, { result: signedResultToWire(signed, spec), beacon, verifiersPerTask: 2 });
    const asked: string[] = [];
    const lookup = {
      getSubmission: async (id: string) => {
        asked.push(id);
        return { submission, disputed: true };
      },
    };
    const stakes = new StakeView(100n);
    for (const k of [worker, verifier]) stakes.set(k.address, 1_000n);
    const options = { runtime, auditShare: 0, instanceId: 't', controlAddress: control.address };
    const sut = new PowCheckService(
      options,
      stakes,
      new CaptureBus(),
      new SubmissionCache(options),
      new PowCheckerMetrics(new Registry()),
      lookup,
    );
    // Disputed (from the tallier): audited although the share is 0, and the lazy values are caught.
    expect(await sut.onVerdict(wire(lazy(verifier)), 1)).toMatchObject({ outcome: CheckOutcome.AUDIT_FAILED, audited: true });
    expect(await sut.onVerdict(wire(honestVerdict), 1)).toMatchObject({ outcome: CheckOutcome.PASSED, audited: true });
    expect(asked).toEqual([toHex(signed.digest)]); // the second verdict hit the refilled cache
    // A submission whose beacon the control plane did not sign is poison, from the tallier or the bus.
    const forged = createTopicMessage(TOPICS.submissions, {
      result: signedResultToWire(signed, spec),
      beacon: { ...beacon, value: new Uint8Array(32).fill(9) },
      verifiersPerTask: 2,
    });
    expect(() => new SubmissionCache(options).addSubmission(forged)).toThrow(PoisonMessageError);
    const sut2 = new PowCheckService(
      options,
      stakes,
      new CaptureBus(),
      new SubmissionCache(options),
      new PowCheckerMetrics(new Registry()),
      { getSubmission: async () => ({ submission: forged, disputed: false }) },
    );
    await expect(sut2.onVerdict(wire(honestVerdict), 1)).rejects.toBeInstanceOf(PoisonMessageError);
  });

  it('retries a verdict on a submission not cached yet, then dead-letters it', async () => {
    const { sut } = make(1, false);
    await expect(sut.onVerdict(wire(honestVerdict), 1)).rejects.not.toBeInstanceOf(PoisonMessageError);
    await expect(sut.onVerdict(wire(honestVerdict), 99)).rejects.toBeInstanceOf(PoisonMessageError);
  });
});
