import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createKafkaTopics, deleteKafkaTopics, KafkaEventBus, parseBrokerList } from '@aegis/bus';
import { ALL_TOPICS } from '@aegis/contracts';
import { startLocalPostgres } from '@aegis/db';
import { DEFAULT_DEVNET_OPTIONS, Devnet, type DevnetSummary } from '@aegis/devnet';
import { type Command, InvalidArgumentError } from 'commander';
import { Client } from 'pg';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';

const run = promisify(execFile);
const KAFKA_SCRIPT = resolve(__dirname, '../../../../deploy/local/kafka.sh');
const LOCAL_BROKERS = '127.0.0.1:19092';
const BENCH_DATABASE = 'aegis_bench';

interface PipelineOpts {
  brokers: string;
  tasks: number;
  controlTasks: number;
  nodes: number;
  concurrency: number;
  partitions: number;
  json?: boolean;
}

interface PhaseResult {
  readonly summary: DevnetSummary;
  readonly submitSeconds: number;
}

const int = (flag: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag}: expected an integer in [${min}, ${max}]`);
  return n;
};

/**
 * `aegis bench pipeline`: tasks per second end to end on real Kafka + Postgres, the services'
 * own modules composed in this process (each on the Kafka bus, as in pods), twice: with the small
 * model (one worker process holding every node key, one verifier process, the PoW checker) and
 * with inference replaced by a no-op answer and no verifiers (the control plane's ceiling).
 */
export const registerBenchPipelineCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('pipeline')
    .description('tasks/s end to end on real Kafka + Postgres, with the small model and with no-op inference')
    .option('--brokers <list>', 'Kafka (started with deploy/local/kafka.sh when it is the local one)', LOCAL_BROKERS)
    .option('--tasks <n>', 'tasks for the full pipeline (model inference + verification)', int('--tasks', 1, 100_000), 24)
    .option('--control-tasks <n>', 'tasks for the control-plane run (no-op inference)', int('--control-tasks', 1, 1_000_000), 600)
    .option('--nodes <n>', 'node identities (all in one worker and one verifier process)', int('--nodes', 2, 64), 3)
    .option('--concurrency <n>', 'SubmitTask calls in flight', int('--concurrency', 1, 1024), 32)
    .option('--partitions <n>', 'partitions per topic', int('--partitions', 1, 1000), 6)
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (opts: PipelineOpts) => {
      const brokers = parseBrokerList(opts.brokers, '--brokers');
      if (opts.brokers === LOCAL_BROKERS) {
        progress('bench: starting the local Kafka broker if needed (deploy/local/kafka.sh)');
        await run('bash', [KAFKA_SCRIPT, 'start'], { maxBuffer: 1 << 22 });
      }
      progress('bench: starting the local Postgres if needed (deploy/local/postgres.sh)');
      const serverUrl = await startLocalPostgres();

      progress(`bench: control plane, ${opts.controlTasks} tasks with no-op inference`);
      const control = await phase({ serverUrl, brokers, partitions: opts.partitions, nodes: opts.nodes, inference: 'noop', tasks: opts.controlTasks, concurrency: opts.concurrency });
      progress(`bench: full pipeline, ${opts.tasks} tasks with the small model`);
      const full = await phase({ serverUrl, brokers, partitions: opts.partitions, nodes: opts.nodes, inference: 'model', tasks: opts.tasks, concurrency: Math.min(opts.concurrency, 8) });

      const view = (p: PhaseResult) => ({
        tasks: p.summary.submitted,
        completed: p.summary.completed,
        accepted: p.summary.accepted,
        seconds: p.summary.seconds,
        tasksPerSecond: p.summary.tasksPerSecond,
        submitsPerSecond: round(p.summary.submitted / Math.max(p.submitSeconds, 1e-3)),
        checkedVerdicts: p.summary.verdicts,
        ledgerInvariant: p.summary.ledgerInvariant,
      });
      const result = {
        tasksPerSecond: full.summary.tasksPerSecond,
        controlPlaneTasksPerSecond: control.summary.tasksPerSecond,
        breakdown: {
          full: view(full),
          controlPlane: view(control),
          setup: { nodes: opts.nodes, workerProcesses: 1, verifierProcesses: 1, partitions: opts.partitions, concurrency: opts.concurrency, model: 'aegis-tiny-v1', executionProvider: 'cpu' },
          limits:
            'one Node.js event loop hosts all six services here (as separate pods they would use separate cores), sharing 2 cores with the Kafka broker (JVM) and Postgres; ' +
            'each task costs ~6 Kafka records and ~4 Postgres transactions across ingress, tallier and ledger, all with acks=all and synchronous commit; ' +
            'with the model, CPU inference and teacher-forced verification (k verifiers per task) dominate',
        },
      };
      if (opts.json) printJsonResult(result);
      else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
};

async function phase(o: {
  serverUrl: string;
  brokers: string[];
  partitions: number;
  nodes: number;
  inference: 'model' | 'noop';
  tasks: number;
  concurrency: number;
}): Promise<PhaseResult> {
  // A fresh database and fresh topics per phase: nothing from an earlier run is replayed.
  const admin = new Client({ connectionString: o.serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${BENCH_DATABASE}`);
  await admin.end();
  const databaseUrl = o.serverUrl.replace(/\/[^/]+$/, `/${BENCH_DATABASE}`);
  const connection = { brokers: o.brokers, clientId: 'aegis-bench' };
  await deleteKafkaTopics(connection, ALL_TOPICS);
  await retry(() => createKafkaTopics(connection, { topics: ALL_TOPICS, partitions: o.partitions, replicationFactor: 1 }), 60_000);

  const bus = new KafkaEventBus({ ...connection, clientId: 'aegis-bench' });
  const serviceBuses: KafkaEventBus[] = [];
  const busFor = (service: string): KafkaEventBus => {
    const own = new KafkaEventBus({ ...connection, clientId: `aegis-bench-${service}` });
    serviceBuses.push(own);
    return own;
  };
  let devnet: Devnet | undefined;
  try {
    devnet = await Devnet.start({
      ...DEFAULT_DEVNET_OPTIONS,
      nodes: o.nodes,
      cheaters: 0,
      ingressPort: 0,
      ledgerPort: 0,
      windowSeconds: 1,
      stateDir: mkdtempSync(join(tmpdir(), 'aegis-bench-')),
      logLevel: 'error',
      progress: (line) => progress(`  ${line}`),
      infrastructure: { bus, busFor, databaseUrl },
      inference: o.inference,
    });
    const summary = await devnet.runTasks(o.tasks, 600_000, o.concurrency);
    return { summary, submitSeconds: devnet.submittedIn };
  } finally {
    await devnet?.stop();
    for (const own of serviceBuses) await own.close();
    await bus.close();
  }
}

async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      // Kafka deletes topics asynchronously; creating one that is still being deleted fails.
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
