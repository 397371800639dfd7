// One operator's node: an inference worker and a verifier for one key, against a network's Kafka
// (`aegis node run`). Composed from the services' own modules, like the devnet's nodes; hence
// the module-boundary exception (see devnet.services.ts).
import { withTimeout } from '@aegis/bus';
import { CLIENT_IDS } from '@aegis/contracts';
import type { KafkaEnv } from '@aegis/config';
import { ModelRuntime } from '@aegis/model';
import type { NodeKey } from '@aegis/protocol';
import { bootstrapService, kafkaBusFromEnv, type RunningService } from '@aegis/service-kit';
import type { Logger } from 'pino';
/* eslint-disable @nx/enforce-module-boundaries */
import { InferenceWorkerModule, TaskIntake } from '../../../services/inference-worker/src/index';
import { verifierConsumerGroup, VerifierModule } from '../../../services/verifier/src/index';
/* eslint-enable @nx/enforce-module-boundaries */

export interface OperatorNodeOptions {
  readonly key: NodeKey;
  /** Broker connection as the services read it (AEGIS_KAFKA_*). */
  readonly kafka: KafkaEnv;
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
  const runner = { executionProvider: o.executionProvider };
  const started: RunningService[] = [];
  try {
    const workerRuntime = await ModelRuntime.open(o.modelDir, runner);
    const worker = await bootstrapService({
      name: 'inference-worker',
      module: InferenceWorkerModule.forRoot({ options: { keys: [o.key], runtime: workerRuntime, behavior: 'honest', instanceId: o.instanceId }, minStake: o.minStake }),
      logger: o.logger.child({ service: 'inference-worker' }),
      bus: kafkaBusFromEnv(o.kafka, CLIENT_IDS['inference-worker'], o.logger),
      ownsBus: true,
      host: '127.0.0.1',
      grpc: { port: 0, services: [] },
      metricsPort: null,
      handleSignals: false,
    });
    started.push(worker);
    const verifierRuntime = await ModelRuntime.open(o.modelDir, runner);
    started.push(
      await bootstrapService({
        name: 'verifier',
        module: VerifierModule.forRoot({
          options: { keys: [o.key], runtime: verifierRuntime, behavior: 'honest', instanceId: o.instanceId, controlAddress: o.controlAddress },
          minStake: o.minStake,
        }),
        logger: o.logger.child({ service: 'verifier' }),
        bus: kafkaBusFromEnv(o.kafka, CLIENT_IDS.verifier, o.logger),
        ownsBus: true,
        host: '127.0.0.1',
        grpc: { port: 0, services: [] },
        metricsPort: null,
        consumer: { groupId: verifierConsumerGroup(o.instanceId) },
        handleSignals: false,
      }),
    );
    let closing: Promise<void> | undefined;
    return {
      address: o.key.address,
      serving: worker.app.get(TaskIntake).firstJoin,
      close: () =>
        (closing ??= (async () => {
          // The worker first: no new task is taken while the verifier finishes what it holds.
          for (const service of [...started]) await service.close();
        })()),
    };
  } catch (err) {
    for (const service of started.reverse()) await service.close().catch(() => undefined);
    throw err;
  }
}

/** `serving`, or a rejection naming the node after `timeoutMs`. */
export function waitServing(node: OperatorNode, timeoutMs: number): Promise<void> {
  return withTimeout(node.serving, timeoutMs, `node ${node.address} did not join the task group within ${timeoutMs} ms (is its stake event on the brokers?)`);
}
