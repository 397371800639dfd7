import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GRPC_SERVICES } from '@aegis/contracts';
import { startLocalPostgres } from '@aegis/db';
import { ensureBuiltModel, TINY_MODEL_ID } from '@aegis/model';
import { NodeKey } from '@aegis/protocol';
import { GrpcServiceClient } from '@aegis/service-kit';
import { ServiceFleet } from '@aegis/testing';
import { freePort, freshDatabase, fund, keyFileWriter, resetNetwork } from '../bench/network.setup';
import { checkLedger } from '../ledger/ledger.check';
import { SupervisedFleet } from './chaos.fleet';
import { FINAL_STATUSES, readOutcome, taskStatus } from './chaos.outcome';
import { chaosPlan, type Fault } from './chaos.plan';
import { TaskStream } from './chaos.stream';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../../..');
const CHAOS_DATABASE = 'aegis_chaos';
const MIN_STAKE = 10_000n;
const TASK_FEE = 1_000n;
/** The services' Kafka consumer session timeout (the bus default): a SIGSTOP lasts past it. */
const SESSION_TIMEOUT_MS = 10_000;

export interface ChaosOptions {
  readonly short: boolean;
  readonly repeat: number;
  readonly seed: number;
  /** New tasks a second while the faults run. */
  readonly rate: number;
  /** How long a fault's canary task may take to reach a final status before recovery counts as failed. */
  readonly recoveryTimeoutMs: number;
  /** How long, after the last fault, the run waits for every accepted task to reach a final status. */
  readonly settleTimeoutMs: number;
  /** AEGIS_NOT_READY_EXIT_SECONDS of every service (the production default 120; 30 puts the watchdog inside a 60 s outage). */
  readonly notReadyExitSeconds: number;
  /** Only faults of these kinds (all when empty). */
  readonly only: readonly Fault['kind'][];
  readonly progress: (line: string) => void;
}

export interface FaultReport {
  readonly kind: Fault['kind'];
  readonly target: string;
  /** From the fault's end (restart, resume, server started) until a task submitted then was final; null: not within the timeout. */
  readonly recoverySeconds: number | null;
  /** Tasks offered between this fault and the next that were accepted but never final. */
  readonly tasksLost: number;
  /** Of those tasks, how many had their fee escrowed or paid twice. */
  readonly duplicates: number;
  readonly durationSeconds: number;
}

export interface ChaosReport {
  readonly faults: FaultReport[];
  readonly tasksSubmitted: number;
  readonly tasksFinal: number;
  readonly tasksLost: number;
  readonly duplicateEntries: number;
  readonly ledgerInvariant: boolean;
  readonly honestSlashed: number;
  readonly unpaidEscrows: number;
  readonly details: {
    readonly seed: number;
    readonly rate: number;
    readonly notReadyExitSeconds: number;
    readonly seconds: number;
    readonly tasksRefused: number;
    readonly lostTasks: string[];
    readonly unpaidTasks: string[];
    readonly supervisorRestarts: Record<string, number>;
    readonly ledger: {
      readonly minted: string;
      readonly balances: string;
      readonly negative: number;
      readonly unreconciled: number;
      readonly orphanEscrows: number;
    };
    readonly setup: string;
  };
}

/**
 * `aegis chaos`: the network on the local Kafka and Postgres (deploy/local), every service its
 * own process (as in `aegis bench pipeline`, the small model for inference), a steady task stream,
 * and the faults of chaosPlan injected one after another at random points. After each fault a
 * canary task measures recovery; at the end every accepted task must reach a final status with
 * its fee moved once, and the ledger invariant must hold (`aegis ledger check`).
 */
export interface NetworkOptions {
  /** Worker and verifier replicas (1 or 2). */
  readonly replicas: number;
  /** AEGIS_NOT_READY_EXIT_SECONDS of every service. */
  readonly notReadyExitSeconds: number;
  readonly progress: (line: string) => void;
}

/** A running chaos/soak network: what the harness talks to, and how to stop it. */
export interface Network {
  readonly fleet: SupervisedFleet;
  readonly databaseUrl: string;
  readonly brokers: readonly string[];
  readonly ingressApi: GrpcServiceClient;
  readonly clients: readonly NodeKey[];
  close(): Promise<void>;
}

/**
 * The network `aegis chaos` and `aegis soak` run: the local Kafka and Postgres (started if
 * needed), a fresh database and fresh topics, and ledger, ingress, tallier, pow-checker and
 * `replicas` verifier and worker processes on the tiny model, funded and staked.
 */
export async function startNetwork(o: NetworkOptions): Promise<Network> {
  const kafkaPort = process.env.AEGIS_KAFKA_PORT ?? '19092';
  const brokers = [`127.0.0.1:${kafkaPort}`];
  o.progress('network: starting the local Kafka and Postgres if needed (deploy/local)');
  await script('kafka', 'start');
  const serverUrl = await startLocalPostgres();
  const databaseUrl = await freshDatabase(serverUrl, CHAOS_DATABASE);
  const connection = { brokers, clientId: 'aegis-chaos' };
  await resetNetwork(databaseUrl, connection, 3);

  const model = ensureBuiltModel(TINY_MODEL_ID);
  const keyFile = keyFileWriter('aegis-chaos-keys-');
  const control = NodeKey.generate();
  const clients = Array.from({ length: 4 }, () => NodeKey.generate());
  const nodes = Array.from({ length: 3 }, () => NodeKey.generate());
  const logDir = join(ROOT, '.cache/chaos-logs');
  mkdirSync(logDir, { recursive: true });
  // 300 s to become ready, as the chart's startupProbe allows (60 x 5 s): after a broker restart
  // every group rejoins at once, and a supervisor that gives up sooner restarts them into the
  // same queue (60 s here made a 60 s broker stop take 295 s to recover).
  const fleet = new SupervisedFleet(new ServiceFleet(logDir, { logLevel: 'warn', readyTimeoutMs: 300_000 }), o.progress);
  let ledgerApi: GrpcServiceClient | undefined;
  try {
    const common = async (): Promise<Record<string, string>> => ({
      AEGIS_KAFKA_BROKERS: brokers.join(','),
      AEGIS_GRPC_PORT: String(await freePort()),
      AEGIS_METRICS_PORT: String(await freePort()),
      AEGIS_NOT_READY_EXIT_SECONDS: String(o.notReadyExitSeconds),
    });
    const db = { AEGIS_DATABASE_URL: databaseUrl, AEGIS_MIN_STAKE: MIN_STAKE.toString() };
    o.progress('network: starting ledger, ingress, tallier');
    const ledger = await fleet.start('ledger', 'ledger', { ...(await common()), ...db, AEGIS_LEDGER_FAUCET: 'true' });
    const ingress = await fleet.start('ingress', 'ingress', {
      ...(await common()),
      AEGIS_DATABASE_URL: databaseUrl,
      AEGIS_MODEL_DIR: model.dir,
      AEGIS_LEDGER_URL: `127.0.0.1:${ledger.grpcPort}`,
      AEGIS_TASK_FEE: TASK_FEE.toString(),
      // A task a killed worker held is offered again after 15 s, not the default 2 min.
      AEGIS_TASK_REQUEUE_SECONDS: '15',
    });
    await fleet.start('tallier', 'tallier', {
      ...(await common()),
      ...db,
      AEGIS_CONTROL_KEY_FILE: keyFile('control.key', [control]),
      AEGIS_WINDOW_SECONDS: '2',
      AEGIS_VERIFIERS_PER_TASK: '3',
      AEGIS_TASK_FEE: TASK_FEE.toString(),
    });
    ledgerApi = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, `127.0.0.1:${ledger.grpcPort}`);
    for (const client of clients) await fund(ledgerApi, client, TASK_FEE * 100_000n, false);
    for (const node of nodes) await fund(ledgerApi, node, MIN_STAKE * 2n, true);

    const replicas = ['a', 'b'].slice(0, o.replicas);
    o.progress(`network: starting pow-checker, ${replicas.length} verifier and ${replicas.length} worker replica(s)`);
    const nodeEnv = async (instance: string): Promise<Record<string, string>> => ({
      ...(await common()),
      AEGIS_MODEL_DIR: model.dir,
      AEGIS_NODE_KEY_FILE: keyFile('nodes.keys', nodes),
      AEGIS_MIN_STAKE: MIN_STAKE.toString(),
      // Replicas of one deployment share the instance id's consumer group: one takes over the other's partitions.
      AEGIS_INSTANCE_ID: instance,
      AEGIS_CONTROL_ADDRESS: control.address,
      AEGIS_EXECUTION_PROVIDER: 'cpu',
    });
    await fleet.start('pow-checker', 'pow-checker', {
      ...(await common()),
      AEGIS_MODEL_DIR: model.dir,
      AEGIS_MIN_STAKE: MIN_STAKE.toString(),
      AEGIS_CONTROL_ADDRESS: control.address,
      AEGIS_AUDIT_SECRET: randomBytes(32).toString('hex'),
      AEGIS_EXECUTION_PROVIDER: 'cpu',
    });
    for (const r of replicas) await fleet.start(`verifier-${r}`, 'verifier', await nodeEnv('chaos-verifier'));
    for (const r of replicas) await fleet.start(`worker-${r}`, 'inference-worker', await nodeEnv('chaos-worker'));

    const ingressApi = new GrpcServiceClient(GRPC_SERVICES.taskIngress, `127.0.0.1:${ingress.grpcPort}`);
    const ledgerClient = ledgerApi;
    return {
      fleet,
      databaseUrl,
      brokers,
      ingressApi,
      clients,
      close: async () => {
        ingressApi.close();
        ledgerClient.close();
        await fleet.stopAll();
      },
    };
  } catch (err) {
    ledgerApi?.close();
    await fleet.stopAll();
    throw err;
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const network = await startNetwork({ replicas: o.short ? 1 : 2, notReadyExitSeconds: o.notReadyExitSeconds, progress: o.progress });
  const { fleet, databaseUrl } = network;
  let stream: TaskStream | undefined;
  try {
    const api = network.ingressApi;
    stream = new TaskStream(() => api, network.clients);
    const s = stream;
    const isFinal = async (hash: string): Promise<boolean> => FINAL_STATUSES.includes((await taskStatus(databaseUrl, hash)) ?? -1);
    o.progress('chaos: a first task end to end before the faults');
    const first = await s.submit();
    await until(() => isFinal(first), o.recoveryTimeoutMs);
    s.start(o.rate);

    const plan = chaosPlan({ short: o.short, repeat: o.repeat, stopMs: SESSION_TIMEOUT_MS + 5_000, seed: o.seed }).filter(
      (f) => o.only.length === 0 || o.only.includes(f.kind),
    );
    const injected: { fault: Fault; at: number; recoverySeconds: number | null; durationSeconds: number }[] = [];
    for (const [i, fault] of plan.entries()) {
      await new Promise((r) => setTimeout(r, fault.delayMs));
      o.progress(
        `chaos: fault ${i + 1}/${plan.length}: ${fault.kind} ${fault.target}${fault.durationMs ? ` for ${fault.durationMs / 1000} s` : ''}`,
      );
      const at = Date.now();
      const after = await inject(fleet, fault);
      const endedAt = Date.now();
      // Recovery: a task offered at the fault's end, through every stage to a final status.
      const canary = s.submit();
      const recovered = await until(async () => isFinal(await canary), o.recoveryTimeoutMs);
      const recoverySeconds = recovered ? Math.round((Date.now() - endedAt) / 100) / 10 : null;
      o.progress(`  recovered in ${recoverySeconds ?? `more than ${o.recoveryTimeoutMs / 1000}`} s`);
      await after?.();
      injected.push({ fault, at, recoverySeconds, durationSeconds: Math.round((endedAt - at) / 100) / 10 });
    }
    s.stopOffering();
    o.progress(`chaos: faults done; waiting up to ${o.settleTimeoutMs / 1000} s for every accepted task to be final and paid`);
    // Settled: every accepted task final, and every decided task's fee paid out. The payout is a
    // ledger command the tallier sends when it decides, so it lands a moment after the status:
    // an escrow still unpaid when the settle time is up is a finding, one a moment late is not.
    const settled = async (): Promise<boolean> => {
      const outcome = await readOutcome(databaseUrl).catch(() => undefined);
      if (outcome === undefined || !s.accepted().every((t) => FINAL_STATUSES.includes(outcome.statuses.get(t.hash) ?? -1))) return false;
      return (await checkLedger(databaseUrl)).unpaidEscrows.length === 0;
    };
    await until(settled, o.settleTimeoutMs);
    await s.close();

    const outcome = await readOutcome(databaseUrl);
    const report = await checkLedger(databaseUrl);
    const accepted = s.accepted();
    const lost = accepted.filter((t) => !FINAL_STATUSES.includes(outcome.statuses.get(t.hash) ?? -1));
    const windowOf = (t: { offeredAt: number }): number => {
      let index = -1;
      for (const [i, f] of injected.entries()) if (t.offeredAt >= f.at) index = i;
      return index;
    };
    return {
      faults: injected.map((f, i) => {
        const mine = accepted.filter((t) => windowOf(t) === i);
        return {
          kind: f.fault.kind,
          target: f.fault.target,
          recoverySeconds: f.recoverySeconds,
          tasksLost: mine.filter((t) => lost.includes(t)).length,
          duplicates: mine.filter((t) => outcome.duplicated.has(t.hash)).length,
          durationSeconds: f.durationSeconds,
        };
      }),
      tasksSubmitted: accepted.length,
      tasksFinal: accepted.length - lost.length,
      tasksLost: lost.length,
      duplicateEntries: outcome.duplicated.size,
      ledgerInvariant:
        report.balances === report.minted &&
        report.negative.length === 0 &&
        report.unreconciled.length === 0 &&
        report.orphanEscrows.length === 0,
      honestSlashed: outcome.liquidations,
      unpaidEscrows: report.unpaidEscrows.length,
      details: {
        seed: o.seed,
        rate: o.rate,
        notReadyExitSeconds: o.notReadyExitSeconds,
        seconds: Math.round((Date.now() - started) / 1000),
        tasksRefused: [...s.tasks.values()].filter((t) => t.refused !== undefined).length,
        lostTasks: lost.map((t) => t.hash).slice(0, 20),
        unpaidTasks: report.unpaidEscrows.map((e) => e.taskHash).slice(0, 20),
        supervisorRestarts: fleet.unplannedRestarts(),
        ledger: {
          minted: report.minted.toString(),
          balances: report.balances.toString(),
          negative: report.negative.length,
          unreconciled: report.unreconciled.length,
          orphanEscrows: report.orphanEscrows.length,
        },
        setup: `${fleet.labels().join(', ')} each \`node bin/service.js\`; ${TINY_MODEL_ID}; 3 nodes, k 3, 2 s window; local Kafka and Postgres`,
      },
    };
  } finally {
    await stream?.close();
    await network.close();
  }
}

/** Injects `fault`; resolves at its end, with what to do once recovery was measured (a replica's return). */
async function inject(fleet: SupervisedFleet, fault: Fault): Promise<(() => Promise<unknown>) | undefined> {
  switch (fault.kind) {
    case 'kill-9':
      await fleet.hold(fault.target, async (m) => m.child.kill('SIGKILL'));
      void fleet.release(fault.target);
      return undefined;
    case 'sigterm-restart':
      await fleet.hold(fault.target, async (m) => m.child.kill('SIGTERM'));
      void fleet.release(fault.target);
      return undefined;
    case 'sigstop': {
      const pid = fleet.member(fault.target).pid;
      process.kill(pid, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, fault.durationMs));
      process.kill(pid, 'SIGCONT');
      return undefined;
    }
    case 'broker-stop':
      await script('kafka', 'stop');
      await new Promise((r) => setTimeout(r, fault.durationMs));
      await script('kafka', 'start');
      return undefined;
    case 'postgres-stop':
      await script('postgres', 'stop');
      await new Promise((r) => setTimeout(r, fault.durationMs));
      await script('postgres', 'start');
      return undefined;
    case 'replica-kill':
      // The survivor carries on alone while recovery is measured; the killed one returns after.
      await fleet.hold(fault.target, async (m) => m.child.kill('SIGKILL'));
      return () => fleet.release(fault.target);
    default: {
      const unreachable: never = fault.kind;
      throw new Error(`unknown fault ${String(unreachable)}`);
    }
  }
}

async function script(server: 'kafka' | 'postgres', action: 'start' | 'stop'): Promise<void> {
  await run('bash', [join(ROOT, `deploy/local/${server}.sh`), action], { maxBuffer: 1 << 22 });
}

/** Polls `probe` every 250 ms until it holds (true) or `timeoutMs` passed (false). */
async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
