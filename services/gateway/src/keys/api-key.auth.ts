import type { NodeKey } from '@aegis/protocol';
import { rateLimited, unauthorized } from '../openai/openai.errors';
import { API_KEY_PREFIX, type ApiKeyStore, hashApiKey } from './api-key';
import type { KeyCustody } from './key.custody';
import type { TokenBuckets } from './token.bucket';

export interface Caller {
  readonly keyId: string;
  readonly account: string;
  readonly key: NodeKey;
}

/**
 * `Authorization: Bearer sk-aegis-...` -> the key's client account and its unsealed signing key,
 * then one token of the key's rate limit. Lookups are cached for `cacheMs` (a revoked key stops
 * working within that time) so a busy key costs no database round trip per request.
 */
export class ApiKeyAuth {
  private readonly cache = new Map<string, { caller: Caller | null; until: number }>();
  private readonly pending = new Map<string, Promise<Caller | null>>();
  private readonly unsealed = new Map<string, { sealed: Buffer; key: NodeKey }>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly custody: KeyCustody,
    private readonly buckets: TokenBuckets,
    private readonly cacheMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (authorization === undefined || authorization === '') {
      throw unauthorized(
        "You didn't provide an API key: send it as 'Authorization: Bearer sk-aegis-...' (`aegis api-keys create` makes one)",
      );
    }
    const secret = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (secret === undefined || !secret.startsWith(API_KEY_PREFIX))
      throw unauthorized('Incorrect API key provided: expected a bearer token sk-aegis-...');
    const keyHash = hashApiKey(secret);
    const caller = await this.lookup(keyHash);
    if (!caller) throw unauthorized('Incorrect API key provided: unknown or revoked');
    const wait = this.buckets.take(caller.keyId);
    if (wait > 0) throw rateLimited(`Rate limit reached for API key ${caller.keyId}: retry in ${wait.toFixed(2)}s`);
    return caller;
  }

  private lookup(keyHash: string): Promise<Caller | null> {
    const t = this.now();
    const hit = this.cache.get(keyHash);
    if (hit && hit.until > t) return Promise.resolve(hit.caller);
    // One read per key and expiry, however many requests are waiting on it (under load every
    // request in flight would otherwise miss at the same moment and read and unseal on its own).
    let pending = this.pending.get(keyHash);
    if (!pending) {
      pending = this.read(keyHash).finally(() => this.pending.delete(keyHash));
      this.pending.set(keyHash, pending);
    }
    return pending;
  }

  private async read(keyHash: string): Promise<Caller | null> {
    const row = await this.store.findByHash(keyHash);
    let caller: Caller | null = null;
    if (row && !row.revokedAt) {
      // Unsealing derives the public key (a curve multiplication): done once per sealed key, not per refresh.
      const known = this.unsealed.get(row.id);
      const key = known && known.sealed.equals(row.sealedKey) ? known.key : this.custody.open(row.sealedKey, row.account);
      this.unsealed.set(row.id, { sealed: Buffer.from(row.sealedKey), key });
      caller = { keyId: row.id, account: row.account, key };
    }
    if (this.cache.size > 10_000) this.cache.clear();
    if (this.unsealed.size > 10_000) this.unsealed.clear();
    this.cache.set(keyHash, { caller, until: this.now() + this.cacheMs });
    return caller;
  }
}
