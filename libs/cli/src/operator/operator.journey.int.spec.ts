import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_DEVNET_OPTIONS, Devnet } from '@aegis/devnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTokenAmount } from './token.amount';

/** Long enough that the first withdraw (right after the unstake) is still early, short enough to wait out. */
// Long enough that the early withdraw (a CLI process start, seconds on a loaded 2-core machine) lands before maturity.
const UNBONDING_SECONDS = 40;

const run = promisify(execFile);
const AEGIS = resolve(__dirname, '../../../../bin/aegis.js');

interface CliRun {
  code: number;
  json: Record<string, unknown>;
  stderr: string;
}

/** `aegis ...args --json` as an operator runs it; the last stdout line parsed. */
async function aegis(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliRun> {
  let stdout: string;
  let stderr: string;
  let code = 0;
  try {
    ({ stdout, stderr } = await run(process.execPath, [AEGIS, ...args, '--json'], { env, timeout: 120_000 }));
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    ({ stdout, stderr, code } = e);
  }
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return { code, json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {}, stderr };
}

describe('a node operator at the CLI against a running devnet', () => {
  let devnet: Devnet;
  let ledger: string;

  beforeAll(async () => {
    devnet = await Devnet.start({
      ...DEFAULT_DEVNET_OPTIONS,
      nodes: 2,
      cheaters: 0,
      inference: 'noop',
      ingressPort: 0,
      ledgerPort: 0,
      unbondingSeconds: UNBONDING_SECONDS,
      stateDir: mkdtempSync(join(tmpdir(), 'aegis-operator-')),
      logLevel: 'silent',
      progress: () => undefined,
    });
    ledger = `127.0.0.1:${devnet.ledgerPort}`;
  }, 180_000);
  afterAll(async () => {
    await devnet?.stop();
  });

  it('makes a key, gets faucet funds, stakes, sees the account, unstakes, is told why withdraw must wait, then withdraws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aegis-operator-keys-'));
    const env = { ...process.env, AEGIS_KEY_PASSPHRASE: 'correct horse battery staple' };
    const file = join(dir, 'operator.json');

    const made = await aegis(env, 'keys', 'new', '--out', file);
    expect(made.code).toBe(0);
    const address = made.json['address'] as string;
    expect(address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(made.json['file']).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const minStake = DEFAULT_DEVNET_OPTIONS.minStake;
    const deposit = formatTokenAmount(3n * minStake);
    const funded = await aegis(env, 'deposit', deposit, '--key', file, '--ledger', ledger);
    expect(funded).toMatchObject({
      code: 0,
      json: { ok: true, account: { address, free: (3n * minStake).toString(), staked: '0', active: false } },
    });

    // A node for this key is refused while nothing is staked, before any broker or model is touched.
    const refused = await aegis(
      env,
      'node',
      'run',
      '--key',
      file,
      '--ledger',
      ledger,
      '--brokers',
      '127.0.0.1:9',
      '--control-address',
      address,
    );
    expect(refused).toMatchObject({
      code: 1,
      json: { ok: false, error: 'stake below the minimum', account: { staked: '0', active: false } },
    });
    expect(refused.stderr).toMatch(/at or above the network's minimum .*Stake first: aegis stake AMOUNT/);

    const staked = await aegis(env, 'stake', formatTokenAmount(2n * minStake), '--key', file, '--ledger', ledger);
    expect(staked).toMatchObject({
      code: 0,
      json: { account: { free: minStake.toString(), staked: (2n * minStake).toString(), active: true } },
    });

    // Reading needs no passphrase: the address comes from the keystore file or the argument.
    const shown = await aegis({ ...process.env, AEGIS_KEY_PASSPHRASE: '' }, 'account', 'show', address, '--ledger', ledger);
    expect(shown).toMatchObject({ code: 0, json: { account: { address, staked: (2n * minStake).toString(), frozen: false } } });

    const status = await aegis(env, 'node', 'status', '--key', file, '--ledger', ledger);
    expect(status).toMatchObject({
      code: 0,
      json: { account: { active: true, staked: (2n * minStake).toString() }, earnings: { feePayouts: 0, slashed: '0', liquidations: 0 } },
    });

    const unstaked = await aegis(env, 'unstake', formatTokenAmount(minStake), '--key', file, '--ledger', ledger);
    expect(unstaked).toMatchObject({
      code: 0,
      json: { account: { staked: minStake.toString(), unbonding: [{ amount: minStake.toString() }] } },
    });
    const maturesAt = Date.parse(
      ((unstaked.json['account'] as { unbonding: { maturesAt: string }[] }).unbonding[0] ?? { maturesAt: '' }).maturesAt,
    );
    expect(maturesAt).toBeGreaterThan(Date.now());

    const early = await aegis(env, 'withdraw', '--key', file, '--ledger', ledger);
    expect(early.code).toBe(1);
    expect(early.json).toMatchObject({ ok: false, status: 'FAILED_PRECONDITION' });
    expect(early.json['explanation']).toMatch(/unbonding delay.*matures at .* in \d+ s/);

    // Once the tranche has matured the same command succeeds: the unstaked tokens are free again.
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, maturesAt - Date.now()) + 250));
    const withdrawn = await aegis(env, 'withdraw', '--key', file, '--ledger', ledger);
    expect(withdrawn).toMatchObject({
      code: 0,
      json: { ok: true, account: { free: (2n * minStake).toString(), staked: minStake.toString(), unbonding: [] } },
    });

    const entries = await aegis(env, 'entries', '--key', file, '--ledger', ledger);
    expect((entries.json['entries'] as { kind: string }[]).map((e) => e.kind)).toEqual(['deposit', 'stake', 'request-unstake', 'withdraw']);

    const wrong = await aegis({ ...process.env, AEGIS_KEY_PASSPHRASE: 'wrong' }, 'stake', '1', '--key', file, '--ledger', ledger);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    const garbage = await aegis(env, 'stake', '1.0000000000000000001', '--key', file, '--ledger', ledger);
    expect(garbage.code).not.toBe(0);
    expect(garbage.stderr).toMatch(/at most 18 decimals/);
  }, 300_000);
});
