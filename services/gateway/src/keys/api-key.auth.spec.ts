import { NodeKey } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { type ApiKeyRecord, hashApiKey, InMemoryApiKeyStore, newApiKey } from './api-key';
import { ApiKeyAuth } from './api-key.auth';
import { KeyCustody } from './key.custody';
import { TokenBuckets } from './token.bucket';

class CountingStore extends InMemoryApiKeyStore {
  reads = 0;
  override async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    this.reads++;
    return super.findByHash(keyHash);
  }
}

describe('ApiKeyAuth', () => {
  it('reads a key once for all the requests waiting on it, and sees a revocation after the cache time', async () => {
    let now = 0;
    const store = new CountingStore();
    const custody = new KeyCustody('22'.repeat(32));
    const key = NodeKey.generate();
    const k = newApiKey();
    await store.insert({
      id: k.id,
      name: 'x',
      keyHash: hashApiKey(k.secret),
      account: key.address,
      sealedKey: custody.seal(key),
      createdAt: new Date(),
      revokedAt: null,
    });
    const auth = new ApiKeyAuth(store, custody, new TokenBuckets(1000, 1000, () => now), 5_000, () => now);
    const callers = await Promise.all(Array.from({ length: 50 }, () => auth.authenticate(`Bearer ${k.secret}`)));
    expect(store.reads).toBe(1);
    expect(new Set(callers.map((c) => c.account))).toEqual(new Set([key.address]));
    await store.revoke(k.id, new Date());
    await expect(auth.authenticate(`Bearer ${k.secret}`)).resolves.toMatchObject({ keyId: k.id });
    now += 5_001;
    await expect(auth.authenticate(`Bearer ${k.secret}`)).rejects.toMatchObject({ status: 401 });
    expect(store.reads).toBe(2);
  });
});
