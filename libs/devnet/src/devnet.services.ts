// The devnet composes the six services in one process, so it imports their composable units (each
// service's src/index.ts, never its main.ts). That is this lib's whole purpose, hence the
// module-boundary exceptions below; services themselves still never import each other.
import { randomBytes } from 'node:crypto';
import { type EventBus, withTimeout } from '@aegis/bus';
import { CONSUMER_GROUPS } from '@aegis/contracts';
import { ModelRuntime } from '@aegis/model';
import type { NodeKey } from '@aegis/protocol';
import { bootstrapService, type RunningService } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { freePort } from './embedded.postgres';
/* eslint-disable @nx/enforce-module-boundaries */
import { otherModelRuntime, InferenceWorkerModule, TaskIntake, type Behavior } from '../../../services/inference-worker/src/index';
import { startExplorer, type RunningExplorer } from '../../../services/explorer/src/index';
import { start as startIngress } from '../../../services/ingress/src/index';
import { start as startLedger } from '../../../services/ledger/src/index';
import { PowCheckerModule } from '../../../services/pow-checker/src/index';
import { migrateTallier, tallierConfigFromEnv, tallierDataSource, TALLIER_CONSUMER, TallierModule } from '../../../services/tallier/src/index';
import { verifierConsumerGroup, VerifierModule } from '../../../services/verifier/src/index';
/* eslint-enable @nx/enforce-module-boundaries */

/** What every embedded service shares. */
export interface DevnetContext {
  readonly bus: EventBus;
  readonly logger: Logger;
  readonly databaseUrl: string;
  readonly modelDir: string;
  readonly minStake: bigint;
  readonly unbondingSeconds: number;
  readonly taskFee: bigint;
  /** The tallier's control key address: verifiers and the PoW checker trust beacons it signed. */
  readonly controlAddress: string;
}

const common = (ctx: DevnetContext, name: string) => ({ bus: ctx.bus, logger: ctx.logger.child({ service: name }), handleSignals: false, noMetrics: true });

/** Services validate AEGIS_GRPC_PORT as 1-65535 like in pods; "any port" becomes a free one here. */
const portOrFree = async (port: number): Promise<number> => (port === 0 ? freePort() : port);

export async function startLedgerService(ctx: DevnetContext, port: number): Promise<RunningService> {
  return startLedger({
    ...common(ctx, 'ledger'),
    migrate: true,
    env: {
      AEGIS_DATABASE_URL: ctx.databaseUrl,
      AEGIS_GRPC_PORT: String(await portOrFree(port)),
      AEGIS_MIN_STAKE: ctx.minStake.toString(),
      AEGIS_UNBONDING_SECONDS: String(ctx.unbondingSeconds),
      AEGIS_LEDGER_FAUCET: 'true',
    },
  });
}

export async function startIngressService(ctx: DevnetContext, port: number, ledgerPort: number): Promise<RunningService> {
  return startIngress({
    ...common(ctx, 'ingress'),
    migrate: true,
    env: {
      AEGIS_DATABASE_URL: ctx.databaseUrl,
      AEGIS_GRPC_PORT: String(await portOrFree(port)),
      AEGIS_MODEL_DIR: ctx.modelDir,
      AEGIS_LEDGER_URL: `127.0.0.1:${ledgerPort}`,
      AEGIS_TASK_FEE: ctx.taskFee.toString(),
      AEGIS_INSTANCE_ID: 'devnet-ingress',
      AEGIS_TASK_REQUEUE_SECONDS: '15',
    },
  });
}

export async function startTallierService(
  ctx: DevnetContext,
  options: { controlKeyFile: string; windowSeconds: number; verifiersPerTask: number },
): Promise<RunningService> {
  const { options: tallier } = tallierConfigFromEnv({
    AEGIS_DATABASE_URL: ctx.databaseUrl,
    AEGIS_CONTROL_KEY_FILE: options.controlKeyFile,
    AEGIS_WINDOW_SECONDS: String(options.windowSeconds),
    AEGIS_VERIFIERS_PER_TASK: String(options.verifiersPerTask),
    AEGIS_MIN_STAKE: ctx.minStake.toString(),
    AEGIS_TASK_FEE: ctx.taskFee.toString(),
    AEGIS_INSTANCE_ID: 'devnet-tallier',
  });
  const dataSource = tallierDataSource(ctx.databaseUrl);
  await dataSource.initialize();
  await migrateTallier(dataSource);
  return bootstrapService({
    name: 'tallier',
    // Short ticks: devnet windows are seconds long.
    module: TallierModule.forRoot({ options: { ...tallier, tickIntervalMs: 200, relayIntervalMs: 1_000 }, dataSource, ownsDataSource: true }),
    logger: common(ctx, 'tallier').logger,
    bus: ctx.bus,
    ownsBus: false,
    host: '127.0.0.1',
    grpc: { port: 0, services: [] },
    metricsPort: null,
    consumer: TALLIER_CONSUMER,
    handleSignals: false,
  });
}

/** One worker process's worth: the given keys, one behaviour. */
export async function startWorkerService(ctx: DevnetContext, keys: readonly NodeKey[], behavior: Behavior, instanceId: string): Promise<RunningService> {
  const runtime = await ModelRuntime.open(ctx.modelDir, { executionProvider: 'cpu' });
  const otherRuntime = behavior === 'other-model' ? await otherModelRuntime(runtime, { executionProvider: 'cpu' }) : undefined;
  return bootstrapService({
    name: 'inference-worker',
    module: InferenceWorkerModule.forRoot({
      options: { keys, runtime, behavior, instanceId, ...(otherRuntime ? { otherRuntime } : {}) },
      minStake: ctx.minStake,
    }),
    logger: common(ctx, `inference-worker/${instanceId}`).logger,
    bus: ctx.bus,
    ownsBus: false,
    host: '127.0.0.1',
    grpc: { port: 0, services: [] },
    metricsPort: null,
    handleSignals: false,
  });
}

/**
 * Resolves once the worker has joined the task consumer group: its stake view (fed from
 * aegis.stake-events.v1, asynchronously) has seen one of its keys staked. Rejects after
 * `timeoutMs`, naming the worker.
 */
export function workerReady(worker: RunningService, instanceId: string, timeoutMs: number): Promise<void> {
  return withTimeout(worker.app.get(TaskIntake).firstJoin, timeoutMs, `devnet: inference worker ${instanceId} (are its keys staked?) did not join the task group`);
}

export async function startVerifierService(ctx: DevnetContext, keys: readonly NodeKey[], lazy: boolean, instanceId: string): Promise<RunningService> {
  const runtime = await ModelRuntime.open(ctx.modelDir, { executionProvider: 'cpu' });
  return bootstrapService({
    name: 'verifier',
    module: VerifierModule.forRoot({ options: { keys, runtime, behavior: lazy ? 'lazy-verifier' : 'honest', instanceId, controlAddress: ctx.controlAddress }, minStake: ctx.minStake }),
    logger: common(ctx, `verifier/${instanceId}`).logger,
    bus: ctx.bus,
    ownsBus: false,
    host: '127.0.0.1',
    grpc: { port: 0, services: [] },
    metricsPort: null,
    consumer: { groupId: verifierConsumerGroup(instanceId) },
    handleSignals: false,
  });
}

export async function startPowCheckerService(ctx: DevnetContext, auditShare: number): Promise<RunningService> {
  const runtime = await ModelRuntime.open(ctx.modelDir, { executionProvider: 'cpu' });
  return bootstrapService({
    name: 'pow-checker',
    module: PowCheckerModule.forRoot({ options: { runtime, auditShare, instanceId: 'devnet-pow-checker', controlAddress: ctx.controlAddress, auditSecret: randomBytes(32) }, minStake: ctx.minStake }),
    logger: common(ctx, 'pow-checker').logger,
    bus: ctx.bus,
    ownsBus: false,
    host: '127.0.0.1',
    grpc: { port: 0, services: [] },
    metricsPort: null,
    consumer: { groupId: CONSUMER_GROUPS.powChecker },
    handleSignals: false,
  });
}

export type { RunningExplorer };

/** The read-only explorer on 127.0.0.1 over the devnet's database, decoding text with its model's tokenizer. */
export async function startExplorerService(ctx: DevnetContext, port: number): Promise<RunningExplorer> {
  try {
    return await startExplorer(
      { databaseUrl: ctx.databaseUrl, port, host: '127.0.0.1', modelDir: ctx.modelDir, minStake: ctx.minStake, refreshMs: 500, logLevel: 'warn' },
      ctx.logger,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`explorer: port ${port} on 127.0.0.1 is in use (aegis devnet --explorer-port N, 0 for any free one, or --no-explorer)`, { cause: err });
    }
    throw err;
  }
}
