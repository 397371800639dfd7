import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KafkaEventBus, topicRecordCounts, type Subscription } from '@aegis/bus';
import { ALL_TOPICS, GRPC_SERVICES } from '@aegis/contracts';
import { DevnetMonitor, formatProgress, freePort, noopResult, startNoopWorker } from '@aegis/devnet';
import { ensureBuiltModel, TINY_MODEL_ID } from '@aegis/model';
import { NodeKey, taskHash, toHex, utf8, type TaskSpec } from '@aegis/protocol';
import { GrpcServiceClient } from '@aegis/service-kit';
import { ServiceFleet } from '@aegis/testing';
import { Client } from 'pg';
import { commandCpuSeconds, CpuMeter, processCpuSeconds } from './cpu.accounting';
import { freshDatabase, fund, keyFileWriter, MIN_STAKE, resetNetwork } from './network.setup';
import { scrapeSum } from './metrics.scrape';
import { recordsPerTask, type RecordsPerTask } from './records.count';
import { StageClock, type StageFigures } from './stage.clock';

const ROOT = resolve(__dirname, '../../../..');
const TASK_FEE = 1_000n;
/** The bench process's own consumers fold small records in memory: any partition order is fine. */
const BENCH_PARTITIONS_CONCURRENTLY = 8;

export interface PhaseOptions {
  readonly serverUrl: string;
  readonly brokers: readonly string[];
  readonly partitions: number;
  readonly nodes: number;
  readonly inference: 'model' | 'noop';
  readonly tasks: number;
  /**
   * Client identities submitting in turn. Each SubmitTask escrows its fee from the client's
   * ledger account, and escrows of one client serialise on that account's row lock.
   */
  readonly clients: number;
  /**
   * Tasks run to completion before the measured ones, followed by ANALYZE, so the figure is the
   * steady state of long-running services: JIT-compiled code, and query plans made for tables
   * with rows in them (see analyze).
   */
  readonly warmupTasks: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly progress: (line: string) => void;
  /** Write a V8 CPU profile of every service process here (`node --cpu-prof`). */
  readonly cpuProfileDir?: string;
}

export interface PhaseResult {
  readonly tasks: number;
  readonly completed: number;
  readonly accepted: number;
  readonly seconds: number;
  readonly tasksPerSecond: number;
  readonly submitsPerSecond: number;
  readonly settled: boolean;
  readonly checkedVerdicts: number;
  readonly deadLetters: number;
  readonly stages: Record<string, StageFigures>;
  /** CPU seconds per task of each party over the run (services, the bench client, broker, Postgres). */
  readonly cpuMsPerTask: Record<string, number>;
  readonly machineBusyShare: number;
  /** Records appended per completed task, by topic (topics with none left out), and their sum. */
  readonly kafkaRecordsPerTask: RecordsPerTask;
  /**
   * The tallier's beacon-link signatures per completed task over the run (one per sealed run of
   * links recorded together, from its aegis_tallier_beacon_signatures_total).
   */
  readonly beaconSignaturesPerTask: number;
}

/**
 * One measured run on real Kafka + Postgres: a fresh database and fresh topics, every service
 * its own process (`node bin/service.js`), the client (many SubmitTask calls in flight) in this
 * process. With inference 'noop' a stand-in worker in this process answers each task at once and
 * no verifiers run: what is left is the control plane (ingress, ledger, tallier, bus, database).
 */
export async function runPipelinePhase(o: PhaseOptions): Promise<PhaseResult> {
  const databaseUrl = await freshDatabase(o.serverUrl);
  const connection = { brokers: [...o.brokers], clientId: 'aegis-bench' };
  o.progress('  fresh topics; migrating ledger, ingress, tallier schemas');
  await resetNetwork(databaseUrl, connection, o.partitions);

  const model = ensureBuiltModel(TINY_MODEL_ID);
  const keyFile = keyFileWriter('aegis-bench-keys-');
  const control = NodeKey.generate();
  const clients = Array.from({ length: o.clients }, () => NodeKey.generate());
  const nodes = Array.from({ length: o.nodes }, () => NodeKey.generate());
  const logDir = join(ROOT, '.cache/bench-pipeline-logs', o.inference);
  mkdirSync(logDir, { recursive: true });
  const fleet = new ServiceFleet(logDir, {
    logLevel: 'warn',
    readyTimeoutMs: 120_000,
    ...(o.cpuProfileDir ? { cpuProfileDir: join(resolve(o.cpuProfileDir), o.inference) } : {}),
  });
  const bus = new KafkaEventBus({ ...connection, partitionsConsumedConcurrently: BENCH_PARTITIONS_CONCURRENTLY });
  const workerBus = new KafkaEventBus({
    ...connection,
    clientId: 'aegis-bench-noop-worker',
    partitionsConsumedConcurrently: BENCH_PARTITIONS_CONCURRENTLY,
  });
  const monitor = new DevnetMonitor();
  const stages = new StageClock();
  let noop: Subscription | undefined;
  /** The no-op worker's answers, made with the tasks before the clock starts (see prepare). */
  const answers = new Map<string, Uint8Array>();
  let ledgerApi: GrpcServiceClient | undefined;
  let ingressApi: GrpcServiceClient | undefined;
  try {
    const common = async (): Promise<Record<string, string>> => ({
      AEGIS_KAFKA_BROKERS: o.brokers.join(','),
      AEGIS_GRPC_PORT: String(await freePort()),
      AEGIS_METRICS_PORT: String(await freePort()),
    });
    const db = { AEGIS_DATABASE_URL: databaseUrl, AEGIS_MIN_STAKE: MIN_STAKE.toString() };
    o.progress('  starting ledger, ingress, tallier (each its own process)');
    const ledger = await fleet.start('ledger', 'ledger', { ...(await common()), ...db, AEGIS_LEDGER_FAUCET: 'true' });
    const [ingress, tallier] = await Promise.all([
      fleet.start('ingress', 'ingress', {
        ...(await common()),
        AEGIS_DATABASE_URL: databaseUrl,
        AEGIS_MODEL_DIR: model.dir,
        AEGIS_LEDGER_URL: `127.0.0.1:${ledger.grpcPort}`,
        AEGIS_TASK_FEE: TASK_FEE.toString(),
        AEGIS_TASK_REQUEUE_SECONDS: '120',
      }),
      fleet.start('tallier', 'tallier', {
        ...(await common()),
        ...db,
        AEGIS_CONTROL_KEY_FILE: keyFile('control.key', [control]),
        AEGIS_WINDOW_SECONDS: '1',
        AEGIS_VERIFIERS_PER_TASK: '3',
        AEGIS_TASK_FEE: TASK_FEE.toString(),
      }),
    ]);

    ledgerApi = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, `127.0.0.1:${ledger.grpcPort}`);
    o.progress(`  funding ${clients.length} clients and staking ${nodes.length} nodes`);
    // Tasks go to clients in turn: each needs its share of the fees, plus one spare.
    const perClient = Math.ceil((o.warmupTasks + o.tasks) / clients.length) + 1;
    for (const client of clients) await fund(ledgerApi, client, TASK_FEE * BigInt(perClient), false);
    for (const node of nodes) await fund(ledgerApi, node, MIN_STAKE * 2n, true);

    if (o.inference === 'noop') {
      noop = await startNoopWorker(workerBus, nodes, answers);
    } else {
      o.progress('  starting pow-checker, verifier, inference-worker (each its own process)');
      const nodeEnv = async (instance: string): Promise<Record<string, string>> => ({
        ...(await common()),
        AEGIS_MODEL_DIR: model.dir,
        AEGIS_NODE_KEY_FILE: keyFile(`${instance}.keys`, nodes),
        AEGIS_MIN_STAKE: MIN_STAKE.toString(),
        AEGIS_INSTANCE_ID: instance,
        AEGIS_CONTROL_ADDRESS: control.address,
        AEGIS_EXECUTION_PROVIDER: 'cpu',
      });
      await Promise.all([
        fleet.start('pow-checker', 'pow-checker', {
          ...(await common()),
          AEGIS_MODEL_DIR: model.dir,
          AEGIS_MIN_STAKE: MIN_STAKE.toString(),
          AEGIS_CONTROL_ADDRESS: control.address,
          AEGIS_AUDIT_SECRET: randomBytes(32).toString('hex'),
          AEGIS_EXECUTION_PROVIDER: 'cpu',
        }),
        fleet.start('verifier', 'verifier', await nodeEnv('bench-verifier')),
        fleet.start('inference-worker', 'inference-worker', await nodeEnv('bench-worker')),
      ]);
    }
    stages.follow(monitor);
    await monitor.start(bus, `bench-${process.pid}-${o.inference}`);

    const kafkaPid = localBrokerPid();
    const meter = new CpuMeter({
      ...Object.fromEntries(fleet.all.map((p) => [p.label, () => processCpuSeconds(p.pid)])),
      'bench client + noop worker + monitor': () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1e6;
      },
      'kafka broker': () => (kafkaPid ? processCpuSeconds(kafkaPid) : undefined),
      'postgres (all backends, other users included)': () => commandCpuSeconds('postgres'),
    });

    ingressApi = new GrpcServiceClient(GRPC_SERVICES.taskIngress, `127.0.0.1:${ingress.grpcPort}`);
    const api = ingressApi;
    let nonce = BigInt(Date.now()) << 16n;
    /**
     * `count` signed SubmitTask requests, made before the clock starts, and with the no-op worker
     * the signed result it will answer each with: in a deployment clients and GPU workers sign on
     * their own machines, so their signing is not the control plane's CPU (ingress, the ledger and
     * the tallier still check every signature while the clock runs).
     */
    const prepare = (count: number): { hash: string; request: object }[] =>
      Array.from({ length: count }, (_, i) => {
        const spec: TaskSpec = {
          modelId: TINY_MODEL_ID,
          promptTokens: [...utf8(`bench task ${i}`)],
          maxNewTokens: 8,
          topK: 8,
          temperatureMilli: 800,
          stopTokens: [],
          nonce: nonce++,
        };
        const hash = taskHash(spec);
        const client = clients[i % clients.length] as NodeKey;
        if (o.inference === 'noop') answers.set(toHex(hash), noopResult(hash, spec, nodes[i % nodes.length] as NodeKey));
        const request = {
          spec: { ...spec, nonce: spec.nonce.toString() },
          client: Buffer.from(client.address.slice(2), 'hex'),
          signature: Buffer.from(client.sign(hash)),
        };
        return { hash: toHex(hash), request };
      });
    /** Sends `requests`, `o.concurrency` SubmitTask calls in flight; resolves when all were accepted. */
    const submitAll = async (requests: readonly { hash: string; request: object }[], into: Set<string>): Promise<void> => {
      let next = 0;
      const submitter = async (): Promise<void> => {
        for (let i = next++; i < requests.length; i = next++) {
          const { hash, request } = requests[i] as (typeof requests)[number];
          stages.submitStarted(hash, Date.now());
          await api.unary('SubmitTask', request, 60_000);
          into.add(hash);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, requests.length)) }, submitter));
    };
    const settle = async (tasks: ReadonlySet<string>, deadline: number): Promise<void> => {
      while (!monitor.settled(tasks) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };

    if (o.warmupTasks > 0) {
      o.progress(`  warm-up: ${o.warmupTasks} tasks, then ANALYZE`);
      const warm = new Set<string>();
      await submitAll(prepare(o.warmupTasks), warm);
      await settle(warm, Date.now() + o.timeoutMs);
      if (!monitor.settled(warm)) throw new Error(`bench: the ${o.warmupTasks} warm-up tasks did not settle within ${o.timeoutMs} ms`);
      await analyze(databaseUrl);
    }

    const hashes = new Set<string>();
    const requests = prepare(o.tasks);
    o.progress(`  submitting ${o.tasks} tasks, ${o.concurrency} in flight`);
    let last = '';
    const ticker = setInterval(() => {
      const line = formatProgress(monitor.counts(hashes), o.tasks);
      if (line !== last) o.progress(`  ${(last = line)}`);
    }, 1_000);
    // Funding, staking and the warm-up published before this point; only the run's own records are counted.
    const recordsBefore = await topicRecordCounts(connection, ALL_TOPICS);
    const beaconSignatures = (): Promise<number> => scrapeSum(tallier.metricsPort ?? 0, 'aegis_tallier_beacon_signatures_total');
    const signaturesBefore = await beaconSignatures();
    meter.begin();
    const started = Date.now();
    await submitAll(requests, hashes);
    const submitSeconds = (Date.now() - started) / 1000;
    await settle(hashes, started + o.timeoutMs);
    const seconds = (Date.now() - started) / 1000;
    const cpu = meter.end();
    clearInterval(ticker);
    const counts = monitor.counts(hashes);
    const recordsAfter = await topicRecordCounts(connection, ALL_TOPICS);
    const signaturesAfter = await beaconSignatures();
    return {
      tasks: hashes.size,
      completed: counts.completed,
      accepted: counts.accepted,
      seconds: Math.round(seconds * 10) / 10,
      tasksPerSecond: round(counts.completed / seconds),
      submitsPerSecond: round(hashes.size / Math.max(submitSeconds, 1e-3)),
      settled: monitor.settled(hashes),
      checkedVerdicts: counts.checkedVerdicts,
      deadLetters: counts.deadLetters,
      stages: stages.figures(hashes),
      cpuMsPerTask: Object.fromEntries(
        Object.entries(cpu.perParty).map(([k, s]) => [k, round((s * 1000) / Math.max(1, counts.completed))]),
      ),
      machineBusyShare: cpu.machineBusyShare,
      kafkaRecordsPerTask: recordsPerTask(recordsBefore, recordsAfter, counts.completed),
      beaconSignaturesPerTask: round((signaturesAfter - signaturesBefore) / Math.max(1, counts.completed)),
    };
  } finally {
    ingressApi?.close();
    ledgerApi?.close();
    await noop?.stop();
    stages.stop();
    await monitor.stop();
    await fleet.stopAll();
    await workerBus.close();
    await bus.close();
  }
}

/** The broker deploy/local/kafka.sh started (its CPU is part of the bill), if it is the local one. */
export function localBrokerPid(port = 19092): number {
  try {
    return Number(readFileSync(join(ROOT, `.cache/kafka/run-${port}/broker.pid`), 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

/**
 * What autovacuum does within a minute of a deployment's start, done at once: statistics for the
 * tables the warm-up filled. Without them every pooled connection keeps the generic plans it made
 * while the tables were empty (sequential scans), and a statement's cost grows with its table for
 * the rest of a run shorter than autovacuum's first pass; ANALYZE invalidates those plans.
 */
async function analyze(databaseUrl: string): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('ANALYZE');
  } finally {
    await db.end();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
