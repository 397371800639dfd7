import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoisonMessageError } from '@aegis/bus';
import { createTopicMessage, decodeTopicMessage, signedResultFromWire, StakeView, taskSpecToWire, TOPICS } from '@aegis/contracts';
import { buildModel, generate, ModelRuntime, TINY_MODEL_ID, verifySubmission } from '@aegis/model';
import { NodeKey, signResult, type TaskSpec, taskHash, VerdictKind } from '@aegis/protocol';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerError, WorkerErrorCode } from '../worker.errors';
import { WorkerMetrics } from '../worker.metrics';
import { InferenceService } from './inference.service';
import type { ResultProducer } from './result.producer';
import { CaptureBus } from '@aegis/testing';

/** Captures what the service publishes; the rest of the port is unused here. */
const key = NodeKey.fromHex('0'.repeat(63) + '7');
const spec: TaskSpec = {
  modelId: TINY_MODEL_ID,
  promptTokens: [256, 72, 101, 108, 108, 111],
  maxNewTokens: 12,
  topK: 16,
  temperatureMilli: 800,
  stopTokens: [],
  nonce: 5n,
};
const task = createTopicMessage(TOPICS.tasks, { taskHash: taskHash(spec), spec: taskSpecToWire(spec) });

describe('InferenceService', () => {
  let dir: string;
  let runtime: ModelRuntime;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aegis-worker-'));
    buildModel(TINY_MODEL_ID, dir);
    runtime = await ModelRuntime.open(dir);
  });
  afterAll(async () => {
    await runtime.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (
    stake = 1_000n,
    producer?: ResultProducer,
  ): Promise<{ sut: InferenceService; bus: CaptureBus; registry: Registry }> => {
    const bus = new CaptureBus();
    const stakes = new StakeView(100n);
    stakes.set(key.address, stake);
    const registry = new Registry();
    const sut = new InferenceService(
      { keys: [key], runtime, instanceId: 't', ...(producer ? { producer } : {}) },
      stakes,
      bus,
      pino({ level: 'silent' }),
      new WorkerMetrics(registry),
    );
    return { sut, bus, registry };
  };

  const metricValue = async (registry: Registry, name: string, suffix = ''): Promise<number> => {
    const metric = registry.getSingleMetric(name);
    if (!metric) throw new Error(`${name} not registered`);
    const values = ((await metric.get()).values as { metricName?: string; value: number }[]).filter(
      (v) => (v.metricName ?? name) === `${name}${suffix}`,
    );
    return values.reduce((sum, v) => sum + v.value, 0);
  };

  const published = (bus: CaptureBus) => {
    const record = bus.records.find((r) => r.topic === TOPICS.results);
    if (!record) throw new Error('no result published');
    return signedResultFromWire(decodeTopicMessage(TOPICS.results, record.value));
  };

  it('publishes an honest, verifiable result keyed by task hash, identical on redelivery', async () => {
    const { sut, bus } = await run();
    await sut.onTask(task);
    await sut.onTask(task);
    const [a, b] = bus.records;
    expect(a?.key).toBe(`0x${Buffer.from(taskHash(spec)).toString('hex')}`);
    expect(Buffer.from(a?.value ?? []).equals(Buffer.from(b?.value ?? []))).toBe(true);
    const { signed, spec: echoed } = published(bus);
    expect(signed.result.node).toBe(key.address);
    expect((await verifySubmission(runtime, echoed, signed)).verdict).toBe(VerdictKind.ACCEPT);
  });

  it('publishes what the producer plugged into its port makes, labelled with its behaviour', async () => {
    // A producer that truncates the honest output: the service publishes it as given, and counts it under its label.
    const truncating: ResultProducer = {
      behavior: 'truncating',
      produce: async (s, k) => {
        const honest = (await generate(runtime, s, k)).signed;
        return signResult({ ...honest.result, tokens: honest.result.tokens.slice(0, 1) }, k);
      },
    };
    const { sut, bus, registry } = await run(1_000n, truncating);
    await sut.onTask(task);
    expect(published(bus).signed.result.tokens).toHaveLength(1);
    const generated = registry.getSingleMetric('aegis_worker_tasks_generated_total');
    expect(((await generated?.get())?.values ?? []).map((v) => [v.labels.behavior, v.value])).toEqual([['truncating', 1]]);
  });

  it('counts generated tasks, tokens and generation time', async () => {
    const { sut, bus, registry } = await run();
    await sut.onTask(task);
    await sut.onTask(task);
    const tokens = published(bus).signed.result.tokens.length;
    expect(tokens).toBeGreaterThan(0);
    expect(await metricValue(registry, 'aegis_worker_tasks_generated_total')).toBe(2);
    expect(await metricValue(registry, 'aegis_worker_generated_tokens_total')).toBe(2 * tokens);
    expect(await metricValue(registry, 'aegis_worker_generation_seconds', '_count')).toBe(2);
    expect(await metricValue(registry, 'aegis_worker_generation_seconds', '_sum')).toBeGreaterThan(0);
  });

  it('refuses with NO_ACTIVE_KEY (publishing nothing) while none of its keys is active, and dead-letters a task whose hash is not its spec', async () => {
    const inactive = await run(0n);
    expect(inactive.sut.hasActiveKey()).toBe(false);
    await expect(inactive.sut.onTask(task)).rejects.toSatisfy((e) => e instanceof WorkerError && e.code === WorkerErrorCode.NO_ACTIVE_KEY);
    expect(inactive.bus.records).toEqual([]);
    const { sut } = await run();
    const forged = createTopicMessage(TOPICS.tasks, { taskHash: new Uint8Array(32), spec: taskSpecToWire(spec) });
    await expect(sut.onTask(forged)).rejects.toBeInstanceOf(PoisonMessageError);
  });

  it('reports FAILED for a task its model cannot run', async () => {
    const { sut, bus } = await run();
    const tooLong: TaskSpec = { ...spec, maxNewTokens: 10_000 };
    const outcome = await sut.onTask(createTopicMessage(TOPICS.tasks, { taskHash: taskHash(tooLong), spec: taskSpecToWire(tooLong) }));
    expect(outcome.kind).toBe('failed');
    expect(bus.records.map((r) => r.topic)).toEqual([TOPICS.taskStatus]);
  });
});
