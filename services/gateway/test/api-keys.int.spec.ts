import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testDatabaseUrl } from '@aegis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayDataSource } from '../src/db/gateway.datasource';
import { PgApiKeyStore } from '../src/db/pg-api-key.store';
import { hashApiKey } from '../src/keys/api-key';
import { KeyCustody } from '../src/keys/key.custody';

const run = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const MASTER = 'ab'.repeat(32);

/** `aegis api-keys ...` as an operator runs it; the last stdout line is its JSON. */
async function aegis(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run('node', [join(root, 'bin', 'aegis.js'), 'api-keys', ...args, '--url', testDatabaseUrl(), '--json'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AEGIS_GATEWAY_MASTER_KEY: MASTER },
    cwd: root,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

describe('aegis api-keys on Postgres', () => {
  let store: PgApiKeyStore;

  beforeAll(async () => {
    const ds = gatewayDataSource(testDatabaseUrl(), { poolSize: 1 });
    await ds.initialize().catch(async () => undefined);
    store = new PgApiKeyStore(ds, true);
  });
  afterAll(async () => {
    await store?.close();
  });

  it('creates a key stored only as its sha256, whose sealed client key opens to its account; list and revoke', async () => {
    const created = (await aegis('create', '--name', 'int-test app')) as { id: string; secret: string; account: string };
    expect(created.secret).toMatch(/^sk-aegis-/);
    // The CLI migrated the schema: the store (initialized before) can read the row now.
    const row = await store.findByHash(hashApiKey(created.secret));
    expect(row).toMatchObject({ id: created.id, account: created.account, revokedAt: null });
    expect(JSON.stringify(row)).not.toContain(created.secret);
    expect(new KeyCustody(MASTER).open(row?.sealedKey ?? Buffer.alloc(0), created.account).address).toBe(created.account);
    expect(() => new KeyCustody('cd'.repeat(32)).open(row?.sealedKey ?? Buffer.alloc(0), created.account)).toThrow();

    const listed = (await aegis('list')) as { keys: { id: string; revokedAt: string | null }[] };
    expect(listed.keys.find((k) => k.id === created.id)).toMatchObject({ revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    expect(await aegis('revoke', created.id)).toEqual({ id: created.id, revoked: true });
    expect((await store.findByHash(hashApiKey(created.secret)))?.revokedAt).toBeInstanceOf(Date);
    await expect(aegis('revoke', 'key_0000000000000000')).rejects.toThrow(/no API key/);
  });
});
