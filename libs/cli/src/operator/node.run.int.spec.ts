import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createKafkaTopics, deleteKafkaTopics, type EventBus, KafkaEventBus, topicRecordCounts } from '@aegis/bus';
import { ALL_TOPICS } from '@aegis/contracts';
import { DEFAULT_DEVNET_OPTIONS, Devnet, DEVNET_CONTROL_ADDRESS_FILE } from '@aegis/devnet';
import { TINY_MODEL_ID } from '@aegis/model';
import { testDatabaseUrl, testKafkaBrokers, waitFor } from '@aegis/testing';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTokenAmount } from './token.amount';

const run = promisify(execFile);
const AEGIS = resolve(__dirname, '../../../../bin/aegis.js');
const DATABASE = 'aegis_node_run';

async function aegis(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  let stdout: string;
  let code = 0;
  try {
    ({ stdout } = await run(process.execPath, [AEGIS, ...args, '--json'], { env, timeout: 120_000 }));
  } catch (err) {
    ({ stdout, code } = err as { stdout: string; code: number });
  }
  return { code, json: JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> };
}

/**
 * `aegis node run` joins a network the way an operator's machine does: over Kafka, in a process
 * of its own. The devnet here runs on the test broker and Postgres (not its in-process bus), so
 * a second process can take its tasks.
 */
describe('aegis node run: an operator key serves tasks on a Kafka-backed devnet', () => {
  const brokers = testKafkaBrokers();
  const connection = { brokers, clientId: 'aegis-node-run-test' };
  const buses: EventBus[] = [];
  let devnet: Devnet;
  let url: string;
  let stateDir: string;
  let node: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    const admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
    url = testDatabaseUrl().replace(/\/[^/]+$/, `/${DATABASE}`);
    // Topics of this run's own: nothing another suite left on the shared broker is read.
    await deleteKafkaTopics(connection, ALL_TOPICS);
    await waitFor(
      'topics recreated',
      async () => {
        await createKafkaTopics(connection, { topics: ALL_TOPICS, partitions: 6, replicationFactor: 1 });
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // Reading every partition's end offset succeeds only once each has a leader (a fresh topic's
    // first subscribe otherwise fails with NOT_LEADER_FOR_PARTITION).
    await waitFor('partition leaders', async () => (await topicRecordCounts(connection, ALL_TOPICS)).size === ALL_TOPICS.length, {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const bus = (clientId: string): EventBus => {
      const b = new KafkaEventBus({ ...connection, clientId, sessionTimeoutMs: 6_000 });
      buses.push(b);
      return b;
    };
    stateDir = mkdtempSync(join(tmpdir(), 'aegis-node-run-'));
    devnet = await Devnet.start({
      ...DEFAULT_DEVNET_OPTIONS,
      model: TINY_MODEL_ID,
      task: { maxNewTokens: 6, topK: 8, temperatureMilli: 800 },
      nodes: 2,
      cheaters: 0,
      ingressPort: 0,
      ledgerPort: 0,
      windowSeconds: 2,
      verifiersPerTask: 1,
      unbondingSeconds: 5,
      stateDir,
      logLevel: 'silent',
      progress: () => undefined,
      infrastructure: { bus: bus('aegis-devnet'), busFor: (service) => bus(`aegis-devnet-${service}`), databaseUrl: url },
    });
  }, 300_000);
  afterAll(async () => {
    node?.kill('SIGKILL');
    await devnet?.stop();
    for (const b of buses) await b.close().catch(() => undefined);
  }, 120_000);

  it('makes a key, stakes it, runs a node for it, sees it serve a task, stops it, unstakes and withdraws after the delay', async () => {
    const env = { ...process.env, AEGIS_KEY_PASSPHRASE: 'node run passphrase' };
    const file = join(mkdtempSync(join(tmpdir(), 'aegis-node-run-key-')), 'op.json');
    const ledger = `127.0.0.1:${devnet.ledgerPort}`;
    const made = await aegis(env, 'keys', 'new', '--out', file);
    const address = made.json['address'] as string;
    const minStake = DEFAULT_DEVNET_OPTIONS.minStake;
    expect((await aegis(env, 'deposit', formatTokenAmount(2n * minStake), '--key', file, '--ledger', ledger)).code).toBe(0);
    expect((await aegis(env, 'stake', formatTokenAmount(minStake), '--key', file, '--ledger', ledger)).code).toBe(0);

    const controlAddress = readFileSync(join(stateDir, DEVNET_CONTROL_ADDRESS_FILE), 'utf8').trim();
    node = spawn(
      process.execPath,
      [
        AEGIS,
        'node',
        'run',
        '--key',
        file,
        '--ledger',
        ledger,
        '--brokers',
        brokers.join(','),
        '--model',
        TINY_MODEL_ID,
        '--control-address',
        controlAddress,
        '--execution-provider',
        'cpu',
        '--json',
      ],
      { env },
    );
    let stdout = '';
    let stderr = '';
    node.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    node.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => node?.once('exit', (code) => resolve(code)));
    await waitFor(`node run serving (stderr: ${stderr.slice(-500)})`, () => stdout.includes('"serving":true'), {
      timeoutMs: 150_000,
      intervalMs: 200,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ ok: true, address, serving: true, model: TINY_MODEL_ID });

    // Tasks go to whichever worker holds their partition: submit until one is the operator's.
    const served = async (): Promise<number> => {
      const db = new Client({ connectionString: url });
      await db.connect();
      try {
        const { rows } = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM tallier.submissions WHERE submitter = $1', [
          address,
        ]);
        return Number(rows[0]?.n ?? 0);
      } finally {
        await db.end();
      }
    };
    const hashes = new Set<string>();
    for (let round = 0; round < 6 && (await served()) === 0; round++) {
      for (let i = 0; i < 6; i++) hashes.add(await devnet.submit(`node run round ${round} task ${i}`, 6));
      expect(await devnet.waitSettled(hashes, Date.now() + 120_000)).toBe(true);
    }
    expect(await served()).toBeGreaterThan(0);

    const status = await aegis(env, 'node', 'status', address, '--ledger', ledger, '--url', url);
    expect(status.code).toBe(0);
    const activity = status.json['activity'] as { tasksServedTotal: number; tasksServed: Record<string, number> };
    expect(activity.tasksServedTotal).toBeGreaterThan(0);
    expect(activity.tasksServed['ACCEPTED']).toBeGreaterThan(0);

    node.kill('SIGTERM');
    const code = await exited;
    expect({ code, stderr: stderr.slice(-1500) }).toMatchObject({ code: 0 });
    node = undefined;
    expect(stderr).toContain('node: stopping');

    // And back out: the whole stake unstaked, then withdrawn once the unbonding delay has passed.
    const unstaked = await aegis(env, 'unstake', formatTokenAmount(minStake), '--key', file, '--ledger', ledger);
    expect(unstaked).toMatchObject({ code: 0, json: { account: { staked: '0', active: false } } });
    const tranche = (unstaked.json['account'] as { unbonding: { maturesAt: string }[] }).unbonding[0];
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, Date.parse(tranche?.maturesAt ?? '') - Date.now()) + 250));
    const withdrawn = await aegis(env, 'withdraw', '--key', file, '--ledger', ledger);
    expect(withdrawn).toMatchObject({ code: 0, json: { ok: true, account: { staked: '0', unbonding: [] } } });
    // Everything deposited is free again, plus the fees the node earned serving.
    expect(BigInt((withdrawn.json['account'] as { free: string }).free)).toBeGreaterThan(2n * minStake);
  }, 600_000);
});
