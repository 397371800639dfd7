// The devnet runs the six services in one process through the same factories their main.ts
// calls (`start` of @aegis/services/<name>), differing only in adapters: the in-process bus, the
// embedded Postgres, loopback ports, and, for cheating nodes, the test doubles of ./cheats
// plugged into the worker's and verifier's ports.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBus } from '@aegis/bus';
import type { NodeKey } from '@aegis/protocol';
import type { RunningService } from '@aegis/service-kit';
import { createApiKey, gatewayDataSource, KeyCustody, PgApiKeyStore, start as startGateway } from '@aegis/services/gateway';
import { start as startWorker, type RunningWorker } from '@aegis/services/inference-worker';
import { start as startIngress } from '@aegis/services/ingress';
import { start as startLedger } from '@aegis/services/ledger';
import { start as startPowChecker } from '@aegis/services/pow-checker';
import { start as startTallier } from '@aegis/services/tallier';
import { start as startVerifier } from '@aegis/services/verifier';
import type { Logger } from 'pino';
import { cheatingProducer, type CheatBehavior, lazyVerdicts } from './cheats';
import { freePort } from './embedded.postgres';
import { startExplorer, type RunningExplorer } from '@aegis/services/explorer';

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
  /** Where key files and other state are written. */
  readonly stateDir: string;
}

const LOOPBACK = '127.0.0.1';

/** One process's adapters: the shared bus and logger, loopback, no /metrics, no signal handlers. */
const adapters = (ctx: DevnetContext) => ({ bus: ctx.bus, logger: ctx.logger, host: LOOPBACK, handleSignals: false, noMetrics: true });

/** The caller owns this process: a service that stays unready must not exit it (the readiness watchdog). */
const OWNED_PROCESS = { AEGIS_NOT_READY_EXIT_SECONDS: '0' } as const;

/** Services validate AEGIS_GRPC_PORT as 1-65535 like in pods; "any port" becomes a free one here. */
const portOrFree = async (port: number): Promise<string> => String(port === 0 ? await freePort() : port);

function writeKeyFile(ctx: DevnetContext, name: string, keys: readonly NodeKey[]): string {
  const file = join(ctx.stateDir, `${name}.keys`);
  writeFileSync(file, keys.map((k) => `${k.privateKeyHex()}\n`).join(''), { mode: 0o600 });
  return file;
}

export async function startLedgerService(ctx: DevnetContext, port: number): Promise<RunningService> {
  return startLedger({
    ...adapters(ctx),
    migrate: true,
    env: {
      ...OWNED_PROCESS,
      AEGIS_DATABASE_URL: ctx.databaseUrl,
      AEGIS_GRPC_PORT: await portOrFree(port),
      AEGIS_MIN_STAKE: ctx.minStake.toString(),
      AEGIS_UNBONDING_SECONDS: String(ctx.unbondingSeconds),
      AEGIS_LEDGER_FAUCET: 'true',
    },
  });
}

export async function startIngressService(ctx: DevnetContext, port: number, ledgerPort: number): Promise<RunningService> {
  return startIngress({
    ...adapters(ctx),
    migrate: true,
    env: {
      ...OWNED_PROCESS,
      AEGIS_DATABASE_URL: ctx.databaseUrl,
      AEGIS_GRPC_PORT: await portOrFree(port),
      AEGIS_MODEL_DIR: ctx.modelDir,
      AEGIS_LEDGER_URL: `${LOOPBACK}:${ledgerPort}`,
      AEGIS_TASK_FEE: ctx.taskFee.toString(),
      AEGIS_INSTANCE_ID: 'devnet-ingress',
      AEGIS_TASK_REQUEUE_SECONDS: '15',
    },
  });
}

/**
 * The OpenAI-compatible gateway in front of this devnet's TaskIngress, and one API key for
 * `client` (the devnet's funded client account, put in the gateway's custody).
 */
export interface DevnetGateway {
  readonly service: RunningService;
  /** An API key of the devnet's funded client account. */
  readonly apiKey: string;
  /** Another API key, for a new (unfunded) client account or for `key`'s (tests, examples). */
  createApiKey(name: string, key?: NodeKey): Promise<{ secret: string; account: string }>;
}

export async function startGatewayService(ctx: DevnetContext, port: number, ingressPort: number, client: NodeKey): Promise<DevnetGateway> {
  const masterKey = randomBytes(32).toString('hex');
  const service = await startGateway({
    ...adapters(ctx),
    migrate: true,
    env: {
      ...OWNED_PROCESS,
      AEGIS_DATABASE_URL: ctx.databaseUrl,
      AEGIS_HTTP_PORT: await portOrFree(port),
      AEGIS_GRPC_PORT: await portOrFree(0),
      AEGIS_MODEL_DIR: ctx.modelDir,
      AEGIS_INGRESS_URL: `${LOOPBACK}:${ingressPort}`,
      AEGIS_GATEWAY_MASTER_KEY: masterKey,
      // A devnet is for trying things, benches included: a generous limit.
      AEGIS_GATEWAY_RATE_PER_SECOND: '100000',
      AEGIS_GATEWAY_RATE_BURST: '100000',
    },
  });
  const createKey = async (name: string, key?: NodeKey): Promise<{ secret: string; account: string }> => {
    const dataSource = gatewayDataSource(ctx.databaseUrl, { poolSize: 1 });
    await dataSource.initialize();
    const store = new PgApiKeyStore(dataSource, true);
    try {
      return await createApiKey(store, new KeyCustody(masterKey), name, key);
    } finally {
      await store.close();
    }
  };
  try {
    const created = await createKey('devnet client', client);
    return { service, apiKey: created.secret, createApiKey: createKey };
  } catch (err) {
    await service.close();
    throw err;
  }
}

export async function startTallierService(
  ctx: DevnetContext,
  options: { controlKeyFile: string; windowSeconds: number; verifiersPerTask: number },
): Promise<RunningService> {
  return startTallier({
    ...adapters(ctx),
    migrate: true,
    env: {
      ...OWNED_PROCESS,
      AEGIS_DATABASE_URL: ctx.databaseUrl,
      AEGIS_GRPC_PORT: await portOrFree(0),
      AEGIS_CONTROL_KEY_FILE: options.controlKeyFile,
      AEGIS_WINDOW_SECONDS: String(options.windowSeconds),
      AEGIS_VERIFIERS_PER_TASK: String(options.verifiersPerTask),
      AEGIS_MIN_STAKE: ctx.minStake.toString(),
      AEGIS_TASK_FEE: ctx.taskFee.toString(),
      AEGIS_INSTANCE_ID: 'devnet-tallier',
      // Short ticks: devnet windows are seconds long.
      AEGIS_TICK_INTERVAL_MS: '200',
      AEGIS_RELAY_INTERVAL_MS: '1000',
    },
  });
}

/** One worker process's worth: the given keys, honest or with one misbehaviour. */
export async function startWorkerService(
  ctx: DevnetContext,
  keys: readonly NodeKey[],
  behavior: 'honest' | CheatBehavior,
  instanceId: string,
): Promise<RunningWorker> {
  const cheat = behavior === 'honest' || behavior === 'lazy-verifier' ? undefined : cheatingProducer(behavior);
  return startWorker({
    ...adapters(ctx),
    ...(cheat ? { producer: cheat } : {}),
    env: {
      ...OWNED_PROCESS,
      AEGIS_GRPC_PORT: await portOrFree(0),
      AEGIS_NODE_KEY_FILE: writeKeyFile(ctx, `worker-${instanceId}`, keys),
      AEGIS_MODEL_DIR: ctx.modelDir,
      AEGIS_MIN_STAKE: ctx.minStake.toString(),
      AEGIS_INSTANCE_ID: instanceId,
    },
  });
}

export async function startVerifierService(
  ctx: DevnetContext,
  keys: readonly NodeKey[],
  lazy: boolean,
  instanceId: string,
): Promise<RunningService> {
  return startVerifier({
    ...adapters(ctx),
    ...(lazy ? { verdictMaker: lazyVerdicts() } : {}),
    env: {
      ...OWNED_PROCESS,
      AEGIS_GRPC_PORT: await portOrFree(0),
      AEGIS_NODE_KEY_FILE: writeKeyFile(ctx, `verifier-${instanceId}`, keys),
      AEGIS_MODEL_DIR: ctx.modelDir,
      AEGIS_MIN_STAKE: ctx.minStake.toString(),
      AEGIS_INSTANCE_ID: instanceId,
      AEGIS_CONTROL_ADDRESS: ctx.controlAddress,
    },
  });
}

export async function startPowCheckerService(ctx: DevnetContext, auditShare: number, tallierPort: number): Promise<RunningService> {
  return startPowChecker({
    ...adapters(ctx),
    env: {
      ...OWNED_PROCESS,
      AEGIS_GRPC_PORT: await portOrFree(0),
      AEGIS_MODEL_DIR: ctx.modelDir,
      AEGIS_AUDIT_SHARE: String(auditShare),
      AEGIS_MIN_STAKE: ctx.minStake.toString(),
      AEGIS_TASK_FEE: ctx.taskFee.toString(),
      AEGIS_INSTANCE_ID: 'devnet-pow-checker',
      AEGIS_AUDIT_SECRET: randomBytes(32).toString('hex'),
      AEGIS_CONTROL_ADDRESS: ctx.controlAddress,
      AEGIS_TALLIER_URL: `${LOOPBACK}:${tallierPort}`,
    },
  });
}

export type { RunningExplorer };

/** The read-only explorer on 127.0.0.1 over the devnet's database, decoding text with its model's tokenizer. */
export async function startExplorerService(ctx: DevnetContext, port: number): Promise<RunningExplorer> {
  try {
    return await startExplorer(
      {
        databaseUrl: ctx.databaseUrl,
        port,
        host: '127.0.0.1',
        modelDir: ctx.modelDir,
        minStake: ctx.minStake,
        refreshMs: 500,
        logLevel: 'warn',
      },
      ctx.logger,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `explorer: port ${port} on 127.0.0.1 is in use (aegis devnet --explorer-port N, 0 for any free one, or --no-explorer)`,
        { cause: err },
      );
    }
    throw err;
  }
}
