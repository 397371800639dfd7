// One operator's node: an inference worker and a verifier for one key, against a network's Kafka
// (`aegis node run`). Both are started through the services' own factories, exactly as their
// pods start them, with the key in a 0600 file of a private temporary folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '@aegis/bus';
import type { NodeKey } from '@aegis/protocol';
import type { RunningService } from '@aegis/service-kit';
import { start as startWorker } from '@aegis/services/inference-worker';
import { start as startVerifier } from '@aegis/services/verifier';
import type { Logger } from 'pino';
import { freePort } from './free.port';

export interface OperatorNodeOptions {
  readonly key: NodeKey;
  /** The broker connection as the services read it: the AEGIS_KAFKA_* variables. */
  readonly kafkaEnv: Readonly<Record<string, string | undefined>>;
  readonly modelDir: string;
  /** The network's minimum stake (AEGIS_MIN_STAKE): the worker serves only while its key is at or above it. */
  readonly minStake: bigint;
  /** The tallier's control key address: the verifier trusts only beacons it signed. */
  readonly controlAddress: string;
  /** Names this node's consumer groups and logs (a DNS label). */
  readonly instanceId: string;
  readonly executionProvider: 'auto' | 'cpu' | 'cuda';
  readonly logger: Logger;
}

export interface OperatorNode {
  readonly address: string;
  /** Resolves once the worker has joined the task group (the network's stake events show the key active). */
  readonly serving: Promise<void>;
  close(): Promise<void>;
}

export async function startOperatorNode(o: OperatorNodeOptions): Promise<OperatorNode> {
  const dir = mkdtempSync(join(tmpdir(), 'aegis-node-'));
  const keyFile = join(dir, 'node.keys');
  writeFileSync(keyFile, `${o.key.privateKeyHex()}\n`, { mode: 0o600 });
  const env = {
    ...o.kafkaEnv,
    AEGIS_NODE_KEY_FILE: keyFile,
    AEGIS_MODEL_DIR: o.modelDir,
    AEGIS_EXECUTION_PROVIDER: o.executionProvider,
    AEGIS_MIN_STAKE: o.minStake.toString(),
    AEGIS_INSTANCE_ID: o.instanceId,
    AEGIS_CONTROL_ADDRESS: o.controlAddress,
    // This command owns its process and stops on its own signal handlers.
    AEGIS_NOT_READY_EXIT_SECONDS: '0',
  };
  // AEGIS_GRPC_PORT must be 1-65535, as in pods: each health server gets a free loopback port.
  const adapters = { logger: o.logger, host: '127.0.0.1', handleSignals: false, noMetrics: true } as const;
  const started: RunningService[] = [];
  try {
    const worker = await startWorker({ ...adapters, env: { ...env, AEGIS_GRPC_PORT: String(await freePort()) } });
    started.push(worker);
    started.push(await startVerifier({ ...adapters, env: { ...env, AEGIS_GRPC_PORT: String(await freePort()) } }));
    let closing: Promise<void> | undefined;
    return {
      address: o.key.address,
      serving: worker.joined,
      close: () =>
        (closing ??= (async () => {
          // The worker first: no new task is taken while the verifier finishes what it holds.
          try {
            for (const service of [...started]) await service.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        })()),
    };
  } catch (err) {
    for (const service of started.reverse()) await service.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** `serving`, or a rejection naming the node after `timeoutMs`. */
export function waitServing(node: OperatorNode, timeoutMs: number): Promise<void> {
  return withTimeout(
    node.serving,
    timeoutMs,
    `node ${node.address} did not join the task group within ${timeoutMs} ms (is its stake event on the brokers?)`,
  );
}
