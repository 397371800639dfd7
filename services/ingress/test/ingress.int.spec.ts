import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessEventBus, type BusRecord } from '@aegis/bus';
import {
  ALL_TOPICS,
  createTopicMessage,
  decodeTopicMessage,
  encodeTopicMessage,
  GRPC_SERVICES,
  PROTO_LOADER_OPTIONS,
  TaskStatus,
  TOPICS,
} from '@aegis/contracts';
import { runMigrations, startLocalPostgres } from '@aegis/db';
import { NodeKey, taskHash, type TaskSpec } from '@aegis/protocol';
import { GrpcServiceClient, GrpcStatus, grpcStatusOf, type RunningService } from '@aegis/service-kit';
import { waitFor } from '@aegis/testing';
import { credentials, loadPackageDefinition, type ClientReadableStream, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InMemoryLedgerRepository } from '../../ledger/src/accounts/in-memory-ledger.repository';
import { startLedgerApp } from '../../ledger/src/ledger.app';
import { signStakeRequest } from '@aegis/ledger';
import { ingressDataSource } from '../src/db/ingress.datasource';
import { PgTasksRepository } from '../src/db/pg-tasks.repository';
import { startIngressApp } from '../src/ingress.app';
import { GrpcLedgerClient } from '../src/ledger/ledger.client';
import { ModelCatalog } from '../src/models/model.catalog';
import { OutboxRelay } from '../src/outbox/outbox.relay';
import { TasksRepository } from '../src/tasks/tasks.repository';
import { TasksService } from '../src/tasks/tasks.service';

const FEE = 1_000n;
const client = NodeKey.fromHex('0x' + 'c1'.repeat(32));
const poor = NodeKey.fromHex('0x' + 'c2'.repeat(32));
const descriptor = {
  modelId: 'test-model-v1',
  file: 'test.onnx',
  sha256: '0'.repeat(64),
  tokenizer: { kind: 'byte', bos: 256, eos: 257 },
  vocabSize: 258,
  contextLength: 64,
  layers: 2,
  hidden: 32,
  heads: 4,
  probe: { count: 8, q: 16 },
  tolerance: { eps: 0.0002, epsLogit: 0.0002, tol: 8, missBudget: 0 },
  pow: { positions: 4, difficultyBits: 4 },
};

type Wire = Record<string, unknown>;
const specWire = (over: Wire = {}): Wire => ({
  modelId: 'test-model-v1',
  promptTokens: [72, 105],
  maxNewTokens: 8,
  topK: 4,
  temperatureMilli: 700,
  stopTokens: [],
  nonce: '1',
  ...over,
});
const toSpec = (w: Wire): TaskSpec => ({
  modelId: w.modelId as string,
  promptTokens: w.promptTokens as number[],
  maxNewTokens: w.maxNewTokens as number,
  topK: w.topK as number,
  temperatureMilli: w.temperatureMilli as number,
  stopTokens: w.stopTokens as number[],
  nonce: BigInt(w.nonce as string),
});
const submitRequest = (spec: Wire, key = client): Wire => ({
  spec,
  client: Buffer.from(key.address.slice(2), 'hex'),
  signature: Buffer.from(key.sign(taskHash(toSpec(spec)))),
});

describe('ingress on real Postgres (ledger in-process, in-process bus)', () => {
  const schema = `ingress_test_${process.pid}_${Date.now()}`;
  let bus: InProcessEventBus;
  let dataSource: DataSource;
  let ledger: RunningService;
  let sut: RunningService;
  let api: GrpcServiceClient;
  const published: BusRecord[] = [];

  beforeAll(async () => {
    const url = await startLocalPostgres();
    const modelDir = mkdtempSync(join(tmpdir(), 'aegis-ingress-'));
    writeFileSync(join(modelDir, 'model.json'), JSON.stringify(descriptor));
    bus = new InProcessEventBus({ topics: ALL_TOPICS });
    const logger = pino({ level: 'silent' });
    ledger = await startLedgerApp({
      config: { minStake: 10_000n, unbondingSeconds: 60, faucet: true },
      repository: new InMemoryLedgerRepository({ minStake: 10_000n, unbondingSeconds: 60 }),
      bus,
      ownsBus: false,
      logger,
      host: '127.0.0.1',
      grpcPort: 0,
      metricsPort: null,
      handleSignals: false,
    });
    const ledgerApi = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, `127.0.0.1:${ledger.grpcPort}`);
    const deposit = { method: 'deposit' as const, address: client.address, amount: '5000', idempotencyKey: 'faucet' };
    await ledgerApi.unary('Deposit', {
      ...deposit,
      address: Buffer.from(client.address.slice(2), 'hex'),
      signature: Buffer.from(signStakeRequest(deposit, client)),
    });
    ledgerApi.close();

    dataSource = ingressDataSource(url, { schema, poolSize: 4 });
    await runMigrations(dataSource);
    await dataSource.initialize();
    sut = await startIngressApp({
      config: { taskFee: FEE, maxPromptTokens: 16, instanceId: 'test', relayIntervalMs: 60_000, relayMinAgeMs: 0, requeueAfterMs: 60_000 },
      catalog: ModelCatalog.fromDir(modelDir),
      repository: new PgTasksRepository(dataSource, false),
      ledger: new GrpcLedgerClient(`127.0.0.1:${ledger.grpcPort}`),
      bus,
      ownsBus: false,
      logger,
      host: '127.0.0.1',
      grpcPort: 0,
      metricsPort: null,
      handleSignals: false,
    });
    api = new GrpcServiceClient(GRPC_SERVICES.taskIngress, `127.0.0.1:${sut.grpcPort}`);
    await bus.subscribe({ topics: [TOPICS.tasks], groupId: 'test.tasks', handler: async (r) => void published.push(r) });
  });

  afterAll(async () => {
    api?.close();
    await sut?.close();
    await ledger?.close();
    await dataSource?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await dataSource?.destroy();
    await bus?.close();
  });

  const rows = async (table: string): Promise<number> =>
    Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}"."${table}"`))[0].n);
  const refusal = async (method: string, request: Wire): Promise<{ code: GrpcStatus | undefined; message: string }> => {
    try {
      await api.unary(method, request);
    } catch (err) {
      return { code: grpcStatusOf(err), message: err instanceof Error ? err.message : String(err) };
    }
    throw new Error(`${method} was expected to fail`);
  };

  it('refuses bad input with the right status naming the field, storing and publishing nothing', async () => {
    const cases: [string, Wire, GrpcStatus, string][] = [
      ['missing spec', { spec: null, client: Buffer.alloc(20), signature: Buffer.alloc(65) }, GrpcStatus.INVALID_ARGUMENT, 'spec'],
      ['empty prompt', submitRequest(specWire({ promptTokens: [] })), GrpcStatus.INVALID_ARGUMENT, 'spec.prompt_tokens'],
      [
        'oversized prompt',
        submitRequest(specWire({ promptTokens: Array.from({ length: 17 }, () => 65) })),
        GrpcStatus.RESOURCE_EXHAUSTED,
        'spec.prompt_tokens',
      ],
      ['token outside the vocabulary', submitRequest(specWire({ promptTokens: [999] })), GrpcStatus.INVALID_ARGUMENT, 'spec.prompt_tokens'],
      ['unknown model', submitRequest(specWire({ modelId: 'no-such-model' })), GrpcStatus.NOT_FOUND, 'spec.model_id'],
      ['malformed model id', submitRequest(specWire({ modelId: 'Bad Model!' })), GrpcStatus.INVALID_ARGUMENT, 'spec.model_id'],
      ['zero max tokens', submitRequest(specWire({ maxNewTokens: 0 })), GrpcStatus.INVALID_ARGUMENT, 'spec.max_new_tokens'],
      ['max tokens past the context', submitRequest(specWire({ maxNewTokens: 63 })), GrpcStatus.INVALID_ARGUMENT, 'spec.max_new_tokens'],
      ['zero top-k', submitRequest(specWire({ topK: 0 })), GrpcStatus.INVALID_ARGUMENT, 'spec.top_k'],
      [
        'temperature too high',
        submitRequest(specWire({ temperatureMilli: 10_001 })),
        GrpcStatus.INVALID_ARGUMENT,
        'spec.temperature_milli',
      ],
      ['short client address', { ...submitRequest(specWire()), client: Buffer.alloc(19) }, GrpcStatus.INVALID_ARGUMENT, 'client'],
      [
        'signature by another key',
        { ...submitRequest(specWire(), poor), client: Buffer.from(client.address.slice(2), 'hex') },
        GrpcStatus.UNAUTHENTICATED,
        'signature',
      ],
      ['client cannot pay', submitRequest(specWire(), poor), GrpcStatus.FAILED_PRECONDITION, 'fee'],
    ];
    for (const [what, request, code, field] of cases) {
      const result = await refusal('SubmitTask', request);
      expect({ what, code: result.code }).toEqual({ what, code });
      expect({ what, message: result.message }).toEqual({ what, message: expect.stringContaining(field) });
    }
    expect((await refusal('GetTask', { taskHash: Buffer.alloc(31) })).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect((await refusal('GetTask', { taskHash: Buffer.alloc(32) })).code).toBe(GrpcStatus.NOT_FOUND);
    expect(await rows('tasks')).toBe(0);
    expect(await rows('outbox')).toBe(0);
    expect(published).toHaveLength(0);
  });

  it('stores, publishes once and charges once; a resubmission returns the same task, with a valid signature only', async () => {
    const request = submitRequest(specWire({ nonce: '42' }));
    const first = await api.unary<{ taskHash: Buffer; status: string }>('SubmitTask', request);
    const again = await api.unary<{ taskHash: Buffer; status: string }>('SubmitTask', request);
    // The stored task is answered by ingress alone, so ingress checks that signature itself.
    const forged = await refusal('SubmitTask', {
      ...submitRequest(specWire({ nonce: '42' }), poor),
      client: Buffer.from(client.address.slice(2), 'hex'),
    });
    expect(forged.code).toBe(GrpcStatus.UNAUTHENTICATED);
    expect(forged.message).toContain('signature');
    const expected = Buffer.from(taskHash(toSpec(specWire({ nonce: '42' })))).toString('hex');
    expect(first.taskHash.toString('hex')).toBe(expected);
    expect(again.taskHash.toString('hex')).toBe(expected);
    expect(first.status).toBe('TASK_STATUS_QUEUED');
    await waitFor('the task on aegis.tasks.v1', () => published.length === 1);
    const task = decodeTopicMessage(TOPICS.tasks, published[0]!.value);
    expect(Buffer.from(task.taskHash).toString('hex')).toBe(expected);
    expect(task.spec?.nonce).toBe(42n);
    expect(await rows('tasks')).toBe(1);
    // Marked sent after the answer, by the publish that runs on without the caller.
    await waitFor(
      'every outbox row marked sent',
      async () => Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".outbox WHERE sent_at IS NULL`))[0].n) === 0,
    );
    const account = await new GrpcServiceClient(GRPC_SERVICES.stakeLedger, `127.0.0.1:${ledger.grpcPort}`).unary<{
      account: { free: string };
    }>('GetAccount', {
      address: Buffer.from(client.address.slice(2), 'hex'),
    });
    expect(account.account.free).toBe(String(5_000n - FEE));
  });

  it('answers submissions that arrive together as if each came alone, sharing statements and escrow calls', async () => {
    const rich = NodeKey.fromHex('0x' + 'c3'.repeat(32));
    const ledgerApi = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, `127.0.0.1:${ledger.grpcPort}`);
    const deposit = { method: 'deposit' as const, address: rich.address, amount: String(10n * FEE), idempotencyKey: 'faucet' };
    await ledgerApi.unary('Deposit', {
      ...deposit,
      address: Buffer.from(rich.address.slice(2), 'hex'),
      signature: Buffer.from(signStakeRequest(deposit, rich)),
    });
    const inserts = vi.spyOn(
      PgTasksRepository.prototype as unknown as { insertMany: (batch: readonly unknown[]) => Promise<unknown> },
      'insertMany',
    );
    const escrowCalls = vi.spyOn(
      GrpcLedgerClient.prototype as unknown as { escrowBatch: (batch: readonly unknown[]) => Promise<unknown> },
      'escrowBatch',
    );
    const before = published.length;
    const specs = Array.from({ length: 8 }, (_, i) => specWire({ nonce: String(1_000 + i) }));
    const calls: [string, Wire][] = [
      ...specs.map((spec, i): [string, Wire] => [`task ${i}`, submitRequest(spec, rich)]),
      ['task 0 again', submitRequest(specs[0]!, rich)],
      ['task 5 again', submitRequest(specs[5]!, rich)],
      ['unpayable', submitRequest(specWire({ nonce: '1100' }), poor)],
      ['signed by another key', { ...submitRequest(specWire({ nonce: '1101' }), poor), client: Buffer.from(rich.address.slice(2), 'hex') }],
    ];
    const answers = await Promise.all(
      calls.map(async ([what, request]) => {
        try {
          const { status } = await api.unary<{ status: string }>('SubmitTask', request);
          return [what, status];
        } catch (err) {
          return [what, grpcStatusOf(err)];
        }
      }),
    );
    expect(Object.fromEntries(answers)).toEqual({
      ...Object.fromEntries(specs.map((_, i) => [`task ${i}`, 'TASK_STATUS_QUEUED'])),
      'task 0 again': 'TASK_STATUS_QUEUED',
      'task 5 again': 'TASK_STATUS_QUEUED',
      unpayable: GrpcStatus.FAILED_PRECONDITION,
      'signed by another key': GrpcStatus.UNAUTHENTICATED,
    });
    // Shared: fewer insert statements and escrow calls than the eight tasks stored.
    expect(inserts.mock.calls.length).toBeLessThan(8);
    expect(escrowCalls.mock.calls.length).toBeLessThan(10);
    inserts.mockRestore();
    escrowCalls.mockRestore();
    // Each task stored, published and charged once.
    const hashes = specs.map((spec) => `0x${Buffer.from(taskHash(toSpec(spec))).toString('hex')}`);
    await waitFor('the eight tasks on aegis.tasks.v1', () => published.length >= before + 8);
    expect(
      published
        .slice(before)
        .map((r) => r.key)
        .sort(),
    ).toEqual([...hashes].sort());
    for (const hash of hashes) {
      expect(await dataSource.query(`SELECT status FROM "${schema}".task_status WHERE task_hash = $1`, [hash])).toEqual([
        { status: TaskStatus.QUEUED },
      ]);
    }
    // Marked sent after the answer, by the publish that runs on without the caller.
    await waitFor(
      'every outbox row marked sent',
      async () => Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".outbox WHERE sent_at IS NULL`))[0].n) === 0,
    );
    const account = await ledgerApi.unary<{ account: { free: string } }>('GetAccount', {
      address: Buffer.from(rich.address.slice(2), 'hex'),
    });
    expect(account.account.free).toBe(String(2n * FEE));
    ledgerApi.close();
  });

  it('inserts tasks that arrive together in one statement: outbox ids with their own task, a duplicate not created, a bad row failing alone', async () => {
    const repository = sut.app.get(TasksRepository);
    const now = new Date();
    const insert = (hash: string, taskClient = client.address) =>
      repository.insertTask(
        {
          taskHash: hash,
          modelId: 'test-model-v1',
          spec: new Uint8Array([1]),
          client: taskClient,
          fee: FEE,
          status: TaskStatus.QUEUED,
          outputTokens: [],
          submittedAt: now,
        },
        { taskHash: hash, sequence: 1n, status: TaskStatus.QUEUED, node: null, detail: '', changedAt: now },
        [TOPICS.tasks, TOPICS.taskStatus].map((topic) => ({ topic, key: hash, value: new Uint8Array(Buffer.from(`${topic}/${hash}`)) })),
      );
    const hashes = ['e1', 'e2', 'e3', 'e4'].map((b) => `0x${b.repeat(32)}`);
    const results = await Promise.allSettled([
      insert(hashes[0]!),
      insert(hashes[1]!),
      insert(hashes[0]!), // the same task twice in one batch
      insert(hashes[2]!, 'not-an-address'), // violates the tasks.client CHECK: only this one fails
      insert(hashes[3]!),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.created : 'failed'))).toEqual([true, true, false, 'failed', true]);
    for (const [i, hash] of [
      [0, hashes[0]!],
      [1, hashes[1]!],
      [4, hashes[3]!],
    ] as const) {
      const { pending } = (
        results[i] as PromiseFulfilledResult<{ pending: { id: string; topic: string; key: string; value: Uint8Array }[] }>
      ).value;
      expect(pending.map((p) => [p.topic, p.key, Buffer.from(p.value).toString()])).toEqual([
        [TOPICS.tasks, hash, `${TOPICS.tasks}/${hash}`],
        [TOPICS.taskStatus, hash, `${TOPICS.taskStatus}/${hash}`],
      ]);
      const stored = await dataSource.query(
        `SELECT key, topic, convert_from(value, 'UTF8') AS value FROM "${schema}".outbox WHERE id = ANY($1::bigint[]) ORDER BY id`,
        [pending.map((p) => p.id)],
      );
      expect(stored).toEqual(pending.map((p) => ({ key: p.key, topic: p.topic, value: Buffer.from(p.value).toString() })));
    }
    expect(await repository.find(hashes[2]!)).toBeUndefined();
    expect(Number((await dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".outbox WHERE key = $1`, [hashes[0]]))[0].n)).toBe(2);
    await repository.markSent(results.flatMap((r) => (r.status === 'fulfilled' ? r.value.pending.map((p) => p.id) : [])));
  });

  it('WatchTask streams history then live changes in order and ends at the final status', async () => {
    const spec = specWire({ nonce: '7' });
    const { taskHash: hash } = await api.unary<{ taskHash: Buffer }>('SubmitTask', submitRequest(spec));
    const definition = loadSync(GRPC_SERVICES.taskIngress.protoPath, PROTO_LOADER_OPTIONS);
    const pkg = loadPackageDefinition(definition) as unknown as { aegis: { ingress: { v1: { TaskIngress: ServiceClientConstructor } } } };
    const watcher = new pkg.aegis.ingress.v1.TaskIngress(`127.0.0.1:${sut.grpcPort}`, credentials.createInsecure()) as unknown as {
      watchTask(req: Wire): ClientReadableStream<{ update: { status: string; detail: string; outputTokens?: number[] } }>;
      close(): void;
    };
    const seen: string[] = [];
    const liveTokens: number[][] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const stream = watcher.watchTask({ taskHash: hash });
      stream.on('data', (m) => {
        seen.push(m.update.status);
        liveTokens.push(m.update.outputTokens ?? []);
      });
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    await waitFor('QUEUED from history', () => seen.length === 1);
    const node = Buffer.from(poor.address.slice(2), 'hex');
    const change = (status: TaskStatus, sequence: bigint, outputTokens: number[] = []) =>
      bus.publish(
        TOPICS.taskStatus,
        `0x${hash.toString('hex')}`,
        encodeTopicMessage(
          TOPICS.taskStatus,
          createTopicMessage(TOPICS.taskStatus, {
            taskHash: hash,
            status,
            node,
            sequence,
            outputTokens,
            changedAt: timestampFromDate(new Date()),
          }),
        ),
      );
    // SUBMITTED carries the node's (unverified) tokens: watchers see them, the task's output does not take them.
    await change(TaskStatus.SUBMITTED, 2n, [1, 2, 3]);
    await change(TaskStatus.SUBMITTED, 2n, [1, 2, 3]); // redelivery: no second update
    await waitFor('SUBMITTED live', () => seen.length === 2);
    const early = await api.unary<{ task: { status: string; outputTokens: number[] } }>('GetTask', { taskHash: hash });
    expect(early.task).toMatchObject({ status: 'TASK_STATUS_SUBMITTED', outputTokens: [] });
    await change(TaskStatus.VERIFYING, 3n);
    await change(TaskStatus.ACCEPTED, 4n, [1, 2, 3]);
    await ended;
    watcher.close();
    expect(seen).toEqual(['TASK_STATUS_QUEUED', 'TASK_STATUS_SUBMITTED', 'TASK_STATUS_VERIFYING', 'TASK_STATUS_ACCEPTED']);
    expect(liveTokens).toEqual([[], [1, 2, 3], [], [1, 2, 3]]);
    const view = await api.unary<{
      task: { status: string; outputTokens: number[]; history: { status: string; outputTokens: number[] }[] };
    }>('GetTask', { taskHash: hash });
    expect(view.task.status).toBe('TASK_STATUS_ACCEPTED');
    expect(view.task.outputTokens).toEqual([1, 2, 3]);
    // The stored history keeps each change's tokens: a watcher that starts late still gets them.
    expect(view.task.history.map((h) => [h.status, h.outputTokens])).toEqual([
      ['TASK_STATUS_QUEUED', []],
      ['TASK_STATUS_SUBMITTED', [1, 2, 3]],
      ['TASK_STATUS_VERIFYING', []],
      ['TASK_STATUS_ACCEPTED', [1, 2, 3]],
    ]);
  });

  it('merges concurrent status appends into one statement with the same effect as one at a time', async () => {
    const repository = sut.app.get(TasksRepository);
    const hash = `0x${'cd'.repeat(32)}`;
    const now = new Date();
    await repository.insertTask(
      {
        taskHash: hash,
        modelId: 'test-model-v1',
        spec: new Uint8Array(),
        client: client.address,
        fee: FEE,
        status: TaskStatus.QUEUED,
        outputTokens: [],
        submittedAt: now,
      },
      { taskHash: hash, sequence: 1n, status: TaskStatus.QUEUED, node: null, detail: '', changedAt: now },
      [],
    );
    const change = (status: TaskStatus, sequence: bigint, taskHash = hash, outputTokens?: number[]) => ({
      taskHash,
      sequence,
      status,
      node: poor.address,
      detail: `seq ${sequence}`,
      changedAt: now,
      ...(outputTokens ? { outputTokens } : {}),
    });
    // All in flight at once: newest first, a redelivery, and a change of a task ingress never stored.
    await Promise.all([
      repository.appendStatus(change(TaskStatus.ACCEPTED, 4n, hash, [7, 8, 9])),
      repository.appendStatus(change(TaskStatus.SUBMITTED, 2n)),
      repository.appendStatus(change(TaskStatus.VERIFYING, 3n)),
      repository.appendStatus(change(TaskStatus.SUBMITTED, 2n)),
      repository.appendStatus(change(TaskStatus.SUBMITTED, 2n, `0x${'ce'.repeat(32)}`)),
    ]);
    // A late, older change does not move the task back.
    await repository.appendStatus(change(TaskStatus.VERIFYING, 3n));
    expect((await repository.history(hash)).map((c) => [c.status, c.sequence])).toEqual([
      [TaskStatus.QUEUED, 1n],
      [TaskStatus.SUBMITTED, 2n],
      [TaskStatus.VERIFYING, 3n],
      [TaskStatus.ACCEPTED, 4n],
    ]);
    expect(await repository.find(hash)).toMatchObject({ status: TaskStatus.ACCEPTED, outputTokens: [7, 8, 9] });
    expect(await repository.history(`0x${'ce'.repeat(32)}`)).toEqual([]);
    // A SUBMITTED change's tokens are unverified: they never become the task's output.
    const other = `0x${'cf'.repeat(32)}`;
    await repository.insertTask(
      {
        taskHash: other,
        modelId: 'test-model-v1',
        spec: new Uint8Array(),
        client: client.address,
        fee: FEE,
        status: TaskStatus.QUEUED,
        outputTokens: [],
        submittedAt: now,
      },
      { taskHash: other, sequence: 1n, status: TaskStatus.QUEUED, node: null, detail: '', changedAt: now },
      [],
    );
    await repository.appendStatus(change(TaskStatus.SUBMITTED, 2n, other, [5, 5]));
    expect(await repository.find(other)).toMatchObject({ status: TaskStatus.SUBMITTED, outputTokens: [] });
    expect((await repository.history(other)).map((c) => c.outputTokens ?? [])).toEqual([[], [5, 5]]);
  });

  it('a task committed but never published (crash in between) is published by the outbox relay', async () => {
    const repository = sut.app.get(TasksRepository);
    const hash = `0x${'ab'.repeat(32)}`;
    const before = published.length;
    const now = new Date();
    await repository.insertTask(
      {
        taskHash: hash,
        modelId: 'test-model-v1',
        spec: new Uint8Array(),
        client: client.address,
        fee: FEE,
        status: TaskStatus.QUEUED,
        outputTokens: [],
        submittedAt: now,
      },
      { taskHash: hash, sequence: 1n, status: TaskStatus.QUEUED, node: null, detail: '', changedAt: now },
      [
        {
          topic: TOPICS.tasks,
          key: hash,
          value: encodeTopicMessage(TOPICS.tasks, createTopicMessage(TOPICS.tasks, { taskHash: Buffer.from(hash.slice(2), 'hex') })),
        },
      ],
    );
    expect(published.length).toBe(before);
    await sut.app.get(OutboxRelay).runOnce(0);
    await waitFor('the relayed task', () => published.length === before + 1);
    expect(published.at(-1)?.key).toBe(hash);
    expect(await repository.unsent(0, 10)).toEqual([]);
  });

  it('answers OK once the task is committed although the broker hangs; the relay publishes it later', async () => {
    const before = published.length;
    // The ledger shares this bus: only ingress's task records hang, as they would on a dead broker.
    const publishBatch = bus.publishBatch.bind(bus);
    const hang = vi
      .spyOn(bus, 'publishBatch')
      .mockImplementation((records) =>
        records.some((r) => r.topic === TOPICS.tasks) ? new Promise(() => undefined) : publishBatch(records),
      );
    const request = submitRequest(specWire({ nonce: '4242' }));
    const answer = await api.unary<{ taskHash: Buffer; status: string }>('SubmitTask', request, 3_000).finally(() => hang.mockRestore());
    expect(answer.status).toBe('TASK_STATUS_QUEUED');
    const hash = `0x${answer.taskHash.toString('hex')}`;
    const repository = sut.app.get(TasksRepository);
    expect((await repository.unsent(0, 10)).map((r) => r.key)).toContain(hash);
    await sut.app.get(OutboxRelay).runOnce(0);
    await waitFor('the relayed task', () => published.slice(before).some((r) => r.key === hash));
  });

  it('re-offers a task that stayed QUEUED or SUBMITTED too long, once per idle period', async () => {
    const spec = specWire({ nonce: '99' });
    const { taskHash: hash } = await api.unary<{ taskHash: Buffer }>('SubmitTask', submitRequest(spec));
    const key = `0x${hash.toString('hex')}`;
    const service = sut.app.get(TasksService);
    const offered = (): number => published.filter((r) => r.key === key).length;
    await waitFor('the first offer', () => offered() === 1);
    expect(await service.requeueStale()).toBe(0);
    await dataSource.query(`UPDATE "${schema}".tasks SET last_activity_at = now() - interval '2 minutes' WHERE task_hash = $1`, [key]);
    expect(await service.requeueStale()).toBe(1);
    await waitFor('the second offer', () => offered() === 2);
    const again = decodeTopicMessage(TOPICS.tasks, published.filter((r) => r.key === key)[1]!.value);
    expect(again.spec?.nonce).toBe(99n);
    // Claimed now: not again until it has been idle for another period.
    expect(await service.requeueStale()).toBe(0);
  });

  it('re-offers idle tasks on every relay pass, also when the outbox holds nothing to send', async () => {
    const { taskHash: hash } = await api.unary<{ taskHash: Buffer }>('SubmitTask', submitRequest(specWire({ nonce: '77' })));
    const key = `0x${hash.toString('hex')}`;
    const offered = (): number => published.filter((r) => r.key === key).length;
    await waitFor('the first offer', () => offered() === 1);
    await dataSource.query(`UPDATE "${schema}".tasks SET last_activity_at = now() - interval '2 minutes' WHERE task_hash = $1`, [key]);
    // The request's own publish marks its outbox row sent just after the record is out: wait for that.
    await waitFor('an empty outbox', async () => (await sut.app.get(TasksRepository).unsent(0, 10)).length === 0);
    await sut.app.get(OutboxRelay).runOnce(0);
    await waitFor('the re-offer by the relay pass', () => offered() === 2);
  });
});
