import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_DEVNET_OPTIONS, Devnet } from '@aegis/devnet';
import { PgLedger } from '@aegis/ledger';
import { TINY_MODEL_ID } from '@aegis/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const AEGIS = resolve(__dirname, '../../../../bin/aegis.js');

async function aegisJson(...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  let stdout: string;
  let code = 0;
  try {
    ({ stdout } = await run(process.execPath, [AEGIS, ...args, '--json'], { timeout: 120_000 }));
  } catch (err) {
    ({ stdout, code } = err as { stdout: string; code: number });
  }
  return { code, json: JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> };
}

describe('aegis network status and node status against a running devnet', () => {
  let devnet: Devnet;
  let accused: string;
  const disputeId = `0x${'d1'.repeat(32)}`;

  beforeAll(async () => {
    devnet = await Devnet.start({
      ...DEFAULT_DEVNET_OPTIONS,
      model: TINY_MODEL_ID,
      nodes: 3,
      cheaters: 0,
      inference: 'noop',
      ingressPort: 0,
      ledgerPort: 0,
      stateDir: mkdtempSync(join(tmpdir(), 'aegis-network-')),
      logLevel: 'silent',
      progress: () => undefined,
    });
    const summary = await devnet.runTasks(3, 120_000);
    expect(summary).toMatchObject({ settled: true, accepted: 3 });
    // A dispute and a liquidation as the tallier would apply them (noop inference has no cheater).
    accused = devnet.nodes[0]?.key.address ?? '';
    const ledger = await PgLedger.connect({
      url: devnet.databaseUrl,
      rules: { minStake: DEFAULT_DEVNET_OPTIONS.minStake, unbondingSeconds: 60 },
      poolSize: 1,
    });
    try {
      await ledger.apply({ kind: 'open-dispute', key: `${disputeId}/open-dispute`, disputeId, accused }, new Date());
      await ledger.apply({ kind: 'liquidate', key: `${disputeId}/liquidate/${accused}`, disputeId, address: accused }, new Date());
    } finally {
      await ledger.close();
    }
  }, 240_000);
  afterAll(async () => {
    await devnet?.stop();
  });

  it('counts active nodes and stake, tasks by status, the open dispute, the liquidation and the invariant', async () => {
    const { code, json } = await aegisJson('network', 'status', '--url', devnet.databaseUrl);
    expect(code).toBe(0);
    const minStake = DEFAULT_DEVNET_OPTIONS.minStake;
    expect(json).toMatchObject({
      ok: true,
      activeNodes: 2,
      activeStake: (2n * minStake).toString(),
      tasks: { ACCEPTED: 3 },
      openDisputes: [{ disputeId, accused, parties: 1 }],
      recentLiquidations: [{ disputeId, address: accused, slashed: minStake.toString() }],
      ledger: { ok: true },
    });
    expect((json['nodes'] as { address: string }[]).map((n) => n.address)).not.toContain(accused);
    // Three tasks went QUEUED -> ... -> ACCEPTED within the window: some rate for each.
    expect((json['tasksPerMinute'] as Record<string, number>)['ACCEPTED']).toBeGreaterThan(0);
  });

  it('adds the tasks a node served and the verdicts it gave to node status', async () => {
    const served = await Promise.all(
      devnet.nodes.map((n) =>
        aegisJson('node', 'status', n.key.address, '--ledger', `127.0.0.1:${devnet.ledgerPort}`, '--url', devnet.databaseUrl),
      ),
    );
    for (const s of served)
      expect(s).toMatchObject({ code: 0, json: { ok: true, activity: { verdictsTotal: 0, verdictsFailedCheck: 0 } } });
    const total = served.reduce((sum, s) => sum + ((s.json['activity'] as { tasksServedTotal: number }).tasksServedTotal ?? 0), 0);
    expect(total).toBe(3);
  });

  it('refuses a bad option with the flag named', async () => {
    const bad = await run(process.execPath, [AEGIS, 'network', 'status', '--url', devnet.databaseUrl, '--minutes', '0']).catch(
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toMatch(/--minutes must be an integer/);
  });
});
