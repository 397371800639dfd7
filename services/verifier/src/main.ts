import { readFileSync } from 'node:fs';
import { CLIENT_IDS } from '@aegis/contracts';
import { commonEnvSchema, env, kafkaEnvSchema, loadConfig, withFileVariables } from '@aegis/config';
import { ModelRuntime } from '@aegis/model';
import { NodeKey } from '@aegis/protocol';
import { bootstrapService, createLogger, kafkaBusFromEnv, runServiceMain } from '@aegis/service-kit';
import { z } from 'zod';
import { verifierConsumerGroup, VerifierModule } from './verifier.module';

const verifierEnvSchema = commonEnvSchema.extend({
  AEGIS_GRPC_PORT: env.port(50055),
  AEGIS_NODE_KEY_FILE: z.string().min(1, 'must name the node key file'),
  AEGIS_MODEL_DIR: z.string().min(1, 'must name the model folder'),
  AEGIS_EXECUTION_PROVIDER: env.executionProvider,
  // Every worker behaviour is accepted (one key file serves both roles); only lazy-verifier changes verification.
  AEGIS_BEHAVIOR: z.string().default('honest'),
  AEGIS_MIN_STAKE: env.amount(10_000n),
  AEGIS_INSTANCE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS label').default('verifier-0'),
  // Signer of the beacon chain: Submissions with a beacon it did not sign are dead-lettered.
  AEGIS_CONTROL_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address (40 hex digits)')
    .transform((a) => a.toLowerCase()),
});

function readKeys(path: string): NodeKey[] {
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !l.startsWith('#'));
  if (lines.length === 0) throw new Error(`AEGIS_NODE_KEY_FILE: ${path} holds no key`);
  return lines.map((l, i) => {
    try {
      return NodeKey.fromHex(l);
    } catch {
      throw new Error(`AEGIS_NODE_KEY_FILE: key ${i + 1} of ${path} is not a secp256k1 private key`);
    }
  });
}

runServiceMain('verifier', async () => {
  // AEGIS_CONTROL_ADDRESS_FILE: written by the chart's init container from the control key when no address is configured.
  const cfg = loadConfig(verifierEnvSchema, withFileVariables(process.env, ['AEGIS_CONTROL_ADDRESS']));
  const kafka = loadConfig(kafkaEnvSchema, process.env);
  const logger = createLogger('verifier', cfg.AEGIS_LOG_LEVEL);
  const keys = readKeys(cfg.AEGIS_NODE_KEY_FILE);
  const runtime = await ModelRuntime.open(cfg.AEGIS_MODEL_DIR, { executionProvider: cfg.AEGIS_EXECUTION_PROVIDER });
  const behavior = cfg.AEGIS_BEHAVIOR === 'lazy-verifier' ? 'lazy-verifier' : 'honest';
  await bootstrapService({
    name: 'verifier',
    module: VerifierModule.forRoot({ options: { keys, runtime, behavior, instanceId: cfg.AEGIS_INSTANCE_ID, controlAddress: cfg.AEGIS_CONTROL_ADDRESS }, minStake: cfg.AEGIS_MIN_STAKE }),
    logger,
    bus: kafkaBusFromEnv(kafka, CLIENT_IDS.verifier, logger),
    ownsBus: true,
    grpc: { port: cfg.AEGIS_GRPC_PORT, services: [] },
    metricsPort: cfg.AEGIS_METRICS_PORT,
    consumer: { groupId: verifierConsumerGroup(cfg.AEGIS_INSTANCE_ID) },
  });
});
