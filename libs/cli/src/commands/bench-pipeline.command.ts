import { execFile } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseBrokerList } from '@aegis/bus';
import { startLocalPostgres } from '@aegis/db';
import type { Command } from 'commander';
import { measureSecp256k1, type Secp256k1Costs } from '../bench/crypto.cost';
import { runPipelinePhase, type PhaseResult } from '../bench/pipeline.phase';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

const run = promisify(execFile);
const KAFKA_SCRIPT = resolve(__dirname, '../../../../deploy/local/kafka.sh');
const LOCAL_BROKERS = '127.0.0.1:19092';

/**
 * secp256k1 checks per task while the control-plane run's clock runs: the ledger (the client's
 * signature over the task, which authorises the fee; ingress checks it only for resubmissions)
 * and the tallier (the result) each check a signer whose key they have seen before. Recovery
 * happens once per new signer, not per task. The tallier's signatures (one per sealed run of
 * beacon links) are counted from its metrics (beaconSignaturesPerTask).
 * The clients' task signatures and the no-op worker's result signatures are made before the clock
 * starts (their CPU is their own machines' in a deployment).
 */
export const CONTROL_PLANE_KNOWN_SIGNER_CHECKS = 2;

interface PipelineOpts {
  brokers: string;
  tasks: number;
  controlTasks: number;
  warmup: number;
  fullWarmup: number;
  nodes: number;
  clients: number;
  concurrency: number;
  partitions: number;
  full: boolean;
  cpuProf?: string;
  json?: boolean;
}

/**
 * `aegis bench pipeline`: tasks per second end to end on real Kafka + Postgres, every service its
 * own process (`node bin/service.js`, as in pods), twice: with inference replaced by a no-op
 * answer and no verifiers (the control plane's ceiling), and with the small model (one worker
 * process holding every node key, one verifier process, the PoW checker).
 */
export const registerBenchPipelineCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('pipeline')
    .description('tasks/s end to end on real Kafka + Postgres, with the small model and with no-op inference')
    .option('--brokers <list>', 'Kafka (started with deploy/local/kafka.sh when it is the local one)', LOCAL_BROKERS)
    .option('--tasks <n>', 'tasks for the full pipeline (model inference + verification)', intOption('--tasks', 1, 100_000), 24)
    // 6000: the run's clock also covers the last tasks' tally window (1 s) and settling, a fixed
    // ~1.5 s, which is ~7% of a 6000-task run at ~300 tasks/s (it was 15% of the old 1200).
    .option('--control-tasks <n>', 'tasks for the control-plane run (no-op inference)', intOption('--control-tasks', 1, 1_000_000), 6000)
    .option(
      '--warmup <n>',
      'tasks run and settled before the measured control-plane tasks (then ANALYZE): the steady state, not a cold start',
      intOption('--warmup', 0, 100_000),
      300,
    )
    .option('--full-warmup <n>', 'the same before the full-pipeline run', intOption('--full-warmup', 0, 10_000), 4)
    .option('--nodes <n>', 'node identities (all in one worker and one verifier process)', intOption('--nodes', 2, 64), 3)
    .option(
      '--clients <n>',
      "client identities submitting in turn (one client's escrows serialise on its ledger account)",
      intOption('--clients', 1, 1024),
      8,
    )
    // The offered load. Each stage batches what arrives while its previous batch is in flight, so
    // the control plane's capacity shows only under enough concurrent submissions: with 32 in
    // flight and ~150 ms per SubmitTask the client itself capped the run near 200/s (Little's
    // law), with the machine not saturated. docs/benchmarks.md has the sweep (16 to 256).
    .option('--concurrency <n>', 'SubmitTask calls in flight', intOption('--concurrency', 1, 1024), 128)
    .option('--partitions <n>', 'partitions per topic', intOption('--partitions', 1, 1000), 6)
    .option('--cpu-prof <dir>', 'write a V8 CPU profile of every service process into <dir>/<phase>/<service>.cpuprofile')
    .option('--no-full', 'skip the full-pipeline run (model inference + verification)')
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (opts: PipelineOpts) => {
      const brokers = parseBrokerList(opts.brokers, '--brokers');
      if (opts.brokers === LOCAL_BROKERS) {
        progress('bench: starting the local Kafka broker if needed (deploy/local/kafka.sh)');
        await run('bash', [KAFKA_SCRIPT, 'start'], { maxBuffer: 1 << 22 });
      }
      progress('bench: starting the local Postgres if needed (deploy/local/postgres.sh)');
      const serverUrl = await startLocalPostgres();
      // The machine is shared (other benches, tests): its load at the start is part of the figure.
      const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
      const secp256k1 = measureSecp256k1();
      const common = {
        serverUrl,
        brokers,
        partitions: opts.partitions,
        nodes: opts.nodes,
        clients: opts.clients,
        timeoutMs: 600_000,
        progress,
        ...(opts.cpuProf ? { cpuProfileDir: opts.cpuProf } : {}),
      };

      progress(`bench: control plane, ${opts.controlTasks} tasks with no-op inference`);
      const control = await runPipelinePhase({
        ...common,
        inference: 'noop',
        tasks: opts.controlTasks,
        warmupTasks: opts.warmup,
        concurrency: opts.concurrency,
      });
      let full: PhaseResult | undefined;
      if (opts.full) {
        progress(`bench: full pipeline, ${opts.tasks} tasks with the small model`);
        full = await runPipelinePhase({
          ...common,
          inference: 'model',
          tasks: opts.tasks,
          warmupTasks: opts.fullWarmup,
          concurrency: Math.min(opts.concurrency, 8),
        });
      }
      const result = {
        tasksPerSecond: full?.tasksPerSecond ?? null,
        controlPlaneTasksPerSecond: control.tasksPerSecond,
        breakdown: {
          controlPlane: control,
          ...(full ? { full } : {}),
          setup: {
            nodes: opts.nodes,
            clients: opts.clients,
            processes:
              'ledger, ingress, tallier (+ pow-checker, verifier, inference-worker with the model) each `node bin/service.js <name>`; client, no-op worker and monitor in the bench process',
            standInSignatures:
              "clients' tasks and the no-op worker's results are signed before the clock starts (in a deployment they sign on their own machines); every check is timed",
            partitions: opts.partitions,
            concurrency: opts.concurrency,
            warmupTasks: { controlPlane: opts.warmup, full: opts.full ? opts.fullWarmup : 0 },
            afterWarmup: 'ANALYZE (what autovacuum does within a minute of a start)',
            windowSeconds: 1,
            model: 'aegis-tiny-v1',
            executionProvider: 'cpu',
            cores: availableParallelism(),
            loadAverage1mAtStart: loadAtStart,
          },
          secp256k1: {
            ...secp256k1,
            perTask: { signs: control.beaconSignaturesPerTask, knownSignerVerifies: CONTROL_PLANE_KNOWN_SIGNER_CHECKS },
            msPerTask: cryptoMsPerTask(secp256k1, control.beaconSignaturesPerTask),
          },
          limits: limitingStage(control, secp256k1),
          // If every core did nothing but this pipeline: the most any stage arrangement could reach.
          cpuCeilingTasksPerSecond: cpuCeiling(control, availableParallelism()),
        },
      };
      if (opts.json) printJsonResult(result);
      else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
};

/**
 * What limits the control-plane run, from its own figures: the slowest stage by throughput and
 * the largest CPU consumers per task. With every party CPU-bound on a shared machine the
 * busiest party is the bottleneck; the stage rates show where tasks queue.
 */
export function limitingStage(p: PhaseResult, secp256k1?: Secp256k1Costs): string {
  const slowest = Object.entries(p.stages)
    .filter(([, f]) => f.tasks > 1)
    .sort((a, b) => a[1].perSecond - b[1].perSecond)[0];
  const cpu = Object.entries(p.cpuMsPerTask)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([who, ms]) => `${who} ${ms} ms`)
    .join(', ');
  const totalMs = totalCpuMsPerTask(p);
  return (
    `machine CPU ${Math.round(p.machineBusyShare * 100)}% busy over the run; CPU per task ${Math.round(totalMs * 10) / 10} ms in all, most: ${cpu}` +
    (slowest ? `; slowest stage: ${slowest[0]} at ${slowest[1].perSecond}/s` : '') +
    `; per task ${p.kafkaRecordsPerTask.total} Kafka records appended` +
    (secp256k1
      ? ` and ${p.beaconSignaturesPerTask} secp256k1 signatures + ${CONTROL_PLANE_KNOWN_SIGNER_CHECKS} checks (${cryptoMsPerTask(secp256k1, p.beaconSignaturesPerTask)} ms of that CPU)`
      : '')
  );
}

/** CPU the control plane's secp256k1 operations take per task, at this process's measured costs. */
export function cryptoMsPerTask(c: Secp256k1Costs, signsPerTask: number): number {
  return Math.round((signsPerTask * c.signMs + CONTROL_PLANE_KNOWN_SIGNER_CHECKS * c.verifyKnownSignerMs) * 100) / 100;
}

/** CPU milliseconds per task, every party together. */
function totalCpuMsPerTask(p: PhaseResult): number {
  return Object.values(p.cpuMsPerTask).reduce((a, b) => a + b, 0);
}

/** cores / (CPU seconds all processes spent per task): the CPU-bound upper bound of the run. */
export function cpuCeiling(p: PhaseResult, cores: number): number | null {
  const totalMs = totalCpuMsPerTask(p);
  return totalMs > 0 ? Math.round((cores * 1000 * 10) / totalMs) / 10 : null;
}
