import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoisonMessageError } from '@aegis/bus';
import { BeaconChain } from '@aegis/consensus';
import {
  createTopicMessage,
  decodeTopicMessage,
  signedResultToWire,
  signedVerdictFromWire,
  StakeView,
  type Submission,
  TOPICS,
} from '@aegis/contracts';
import { buildModel, generate, ModelRuntime, TINY_MODEL_ID } from '@aegis/model';
import { fromHex, NodeKey, signResult, type TaskSpec, VerdictKind, verifyPow } from '@aegis/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerificationService } from './verification.service';
import { CaptureBus } from '@aegis/testing';

const key = (i: number): NodeKey => NodeKey.fromHex((i + 1).toString(16).padStart(64, '0'));
const worker = key(0);
const verifiers = [key(1), key(2)];
const spec: TaskSpec = {
  modelId: TINY_MODEL_ID,
  promptTokens: [256, 65, 66, 67],
  maxNewTokens: 8,
  topK: 16,
  temperatureMilli: 900,
  stopTokens: [],
  nonce: 9n,
};

describe('VerificationService', () => {
  let dir: string;
  let runtime: ModelRuntime;
  let honest: Submission;
  let tampered: Submission;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aegis-verifier-'));
    buildModel(TINY_MODEL_ID, dir);
    runtime = await ModelRuntime.open(dir);
    const signed = (await generate(runtime, spec, worker)).signed;
    const tokens = [...signed.result.tokens];
    tokens[2] = ((tokens[2] as number) + 1) % 256;
    const wrong = signResult({ ...signed.result, tokens }, worker);
    const beacon = { height: 1n, value: new Uint8Array(32).fill(7), previous: new Uint8Array(32), signature: new Uint8Array(65) };
    // k = number of nodes: with equal stakes every node is selected, so eligibility is not what is tested here.
    const sub = (s: typeof signed): Submission =>
      createTopicMessage(TOPICS.submissions, { result: signedResultToWire(s, spec), beacon, verifiersPerTask: 3 });
    honest = sub(signed);
    tampered = sub(wrong);
  });
  afterAll(async () => {
    await runtime.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const make = (keys = [worker, ...verifiers]): { sut: VerificationService; bus: CaptureBus } => {
    const stakes = new StakeView(100n);
    for (const k of [worker, ...verifiers]) stakes.set(k.address, 1_000n);
    const bus = new CaptureBus();
    return { sut: new VerificationService({ keys, runtime, instanceId: 't' }, stakes, bus, pino({ level: 'silent' })), bus };
  };

  const verdicts = (bus: CaptureBus) =>
    bus.records.map((r) => signedVerdictFromWire(decodeTopicMessage(TOPICS.verdicts, r.value)).signed.verdict);

  it('accepts an honest submission from every eligible key but the submitter, with a valid PoW, once', async () => {
    const { sut, bus } = make();
    expect(await sut.onSubmission(honest)).toEqual(verifiers.map((v) => v.address));
    expect(await sut.onSubmission(honest)).toEqual([]);
    const vs = verdicts(bus);
    expect(vs.map((v) => v.kind)).toEqual([VerdictKind.ACCEPT, VerdictKind.ACCEPT]);
    for (const v of vs)
      expect(verifyPow(v.verifier, v.submissionDigest, v.nonce, v.values, runtime.descriptor.pow.difficultyBits)).toBe(true);
  });

  it('rejects altered tokens', async () => {
    const { sut, bus } = make();
    await sut.onSubmission(tampered);
    expect(verdicts(bus).map((v) => v.kind)).toEqual([VerdictKind.REJECT, VerdictKind.REJECT]);
  });

  it('with a control address: acts on a beacon the control plane signed, dead-letters a forged one', async () => {
    const control = key(40);
    const stakes = new StakeView(100n);
    for (const k of [worker, ...verifiers]) stakes.set(k.address, 1_000n);
    const withControl = (bus: CaptureBus): VerificationService =>
      new VerificationService(
        { keys: verifiers, runtime, instanceId: 't', controlAddress: control.address },
        stakes,
        bus,
        pino({ level: 'silent' }),
      );
    const result = honest.result!;
    const link = BeaconChain.fromGenesis(control, 'verifier-spec').append(result.digest);
    const signedBeacon = {
      height: BigInt(link.index),
      value: fromHex(link.beacon, 32),
      previous: fromHex(link.prev, 32),
      signature: fromHex(link.signature, 65),
    };
    const good = createTopicMessage(TOPICS.submissions, { result, beacon: signedBeacon, verifiersPerTask: 3 });
    const okBus = new CaptureBus();
    expect(await withControl(okBus).onSubmission(good)).toEqual(verifiers.map((v) => v.address));
    // Signed by someone else, or the right link moved to another submission: poison, nothing published.
    const forgedLink = BeaconChain.fromGenesis(worker, 'verifier-spec').append(result.digest);
    const forged = createTopicMessage(TOPICS.submissions, {
      result,
      beacon: { ...signedBeacon, signature: fromHex(forgedLink.signature, 65) },
      verifiersPerTask: 3,
    });
    const badBus = new CaptureBus();
    await expect(withControl(badBus).onSubmission(forged)).rejects.toBeInstanceOf(PoisonMessageError);
    await expect(withControl(badBus).onSubmission(honest)).rejects.toMatchObject({ field: 'beacon.signature' });
    expect(badBus.records).toEqual([]);
  });

  it('verifies as every active key in a dispute', async () => {
    const { sut, bus } = make(verifiers);
    const dispute = createTopicMessage(TOPICS.disputes, {
      event: { case: 'opened', value: { disputeId: tampered.result?.digest, submission: tampered, rewardPool: '1000' } },
    });
    expect(await sut.onDispute(dispute)).toEqual(verifiers.map((v) => v.address));
    expect(bus.records.every((r) => r.topic === TOPICS.verdicts)).toBe(true);
  });
});
