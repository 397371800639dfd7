import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessEventBus } from '@aegis/bus';
import {
  CONSUMER_GROUPS,
  createTopicMessage,
  decodeTopicMessage,
  encodeTopicMessage,
  StakeView,
  taskSpecToWire,
  TOPICS,
} from '@aegis/contracts';
import { buildModel, ModelRuntime, TINY_MODEL_ID } from '@aegis/model';
import { NodeKey, type TaskSpec, taskHash, toHex } from '@aegis/protocol';
import { ServiceHealth } from '@aegis/service-kit';
import { waitFor } from '@aegis/testing';
import type { ServingStatus } from 'grpc-health-check';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerMetrics } from '../worker.metrics';
import { InferenceService } from './inference.service';
import { TaskIntake } from './task.intake';

/** Remembers the last overall status the worker reported. */
class RecordingHealth extends ServiceHealth {
  last: ServingStatus | undefined;
  override set(status: ServingStatus, service = ''): void {
    if (service === '') this.last = status;
    super.set(status, service);
  }
}

const key = NodeKey.fromHex('0'.repeat(63) + '9');
const STAKE = 1_000n;
const taskOf = (nonce: number): { hash: string; value: Uint8Array } => {
  const spec: TaskSpec = {
    modelId: TINY_MODEL_ID,
    promptTokens: [256, 72, 105],
    maxNewTokens: 4,
    topK: 8,
    temperatureMilli: 800,
    stopTokens: [],
    nonce: BigInt(nonce),
  };
  const th = taskHash(spec);
  return {
    hash: toHex(th),
    value: encodeTopicMessage(TOPICS.tasks, createTopicMessage(TOPICS.tasks, { taskHash: th, spec: taskSpecToWire(spec) })),
  };
};

describe('TaskIntake', () => {
  let dir: string;
  let runtime: ModelRuntime;
  let bus: InProcessEventBus;
  let sut: TaskIntake | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aegis-intake-'));
    buildModel(TINY_MODEL_ID, dir);
    runtime = await ModelRuntime.open(dir);
  });
  afterAll(async () => {
    await runtime.release();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await sut?.onModuleDestroy();
    sut = undefined;
    await bus.close();
  });

  /** A worker over the in-process bus, plus what it published (result task hashes) and the dead letters. */
  const start = async (stake: bigint, keyCheckIntervalMs: number) => {
    bus = new InProcessEventBus({ topics: [TOPICS.tasks, TOPICS.results, TOPICS.taskStatus, TOPICS.deadLetter], partitions: 4 });
    const stakes = new StakeView(100n);
    stakes.set(key.address, stake);
    const health = new RecordingHealth();
    const logger = pino({ level: 'silent' });
    const metrics = new WorkerMetrics(new Registry());
    const options = { keys: [key], runtime, instanceId: 't', keyCheckIntervalMs };
    const inference = new InferenceService(options, stakes, bus, logger, metrics);
    const results: string[] = [];
    const deadLetters: string[] = [];
    await bus.subscribe({ topics: [TOPICS.results], groupId: 'test.results', handler: async (r) => void results.push(r.key) });
    await bus.subscribe({
      topics: [TOPICS.deadLetter],
      groupId: 'test.dlq',
      handler: async (r) => void deadLetters.push(decodeTopicMessage(TOPICS.deadLetter, r.value).detail),
    });
    sut = new TaskIntake(bus, health, logger, options, inference, metrics);
    await sut.onApplicationBootstrap();
    return { intake: sut, stakes, health, results, deadLetters };
  };

  it('liquidated mid-run: hands the task back, leaves the group (NOT_SERVING) so another worker gets it, and rejoins once a key is active', async () => {
    // A check interval longer than the test: only the handler's own refusal can make it leave.
    const { intake, stakes, health, results, deadLetters } = await start(STAKE, 3_600_000);
    expect(intake.consuming).toBe(true);
    const first = taskOf(1);
    await bus.publish(TOPICS.tasks, first.hash, first.value);
    await waitFor('first result', () => results.includes(first.hash));

    stakes.set(key.address, 0n);
    const stranded = taskOf(2);
    await bus.publish(TOPICS.tasks, stranded.hash, stranded.value);
    await waitFor('the worker left the task group', () => !intake.consuming);
    expect(health.last).toBe('NOT_SERVING');

    // Another worker of the group takes the partitions, and the task with them.
    const taken: string[] = [];
    const other = await bus.subscribe({
      topics: [TOPICS.tasks],
      groupId: CONSUMER_GROUPS.inferenceWorker,
      handler: async (r) => void taken.push(r.key),
    });
    await waitFor('the other worker got the task', () => taken.includes(stranded.hash));
    await other.stop();
    expect(results).toEqual([first.hash]);
    expect(deadLetters).toEqual([]);

    stakes.set(key.address, STAKE);
    await intake.reconcile();
    expect(intake.consuming).toBe(true);
    expect(health.last).toBe('SERVING');
    const later = taskOf(3);
    await bus.publish(TOPICS.tasks, later.hash, later.value);
    await waitFor('a result after rejoining', () => results.includes(later.hash));
  });

  it('with no active key at start never joins; joins on its own when a stake lands', async () => {
    const { intake, stakes, health, results } = await start(0n, 20);
    expect(intake.consuming).toBe(false);
    expect(health.last).toBe('NOT_SERVING');
    const queued = taskOf(4);
    await bus.publish(TOPICS.tasks, queued.hash, queued.value);
    stakes.set(key.address, STAKE);
    await waitFor('joined after the stake', () => intake.consuming);
    await waitFor('the queued task worked', () => results.includes(queued.hash));
    expect(health.last).toBe('SERVING');
  });
});
