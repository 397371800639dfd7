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

  constructor(
    private readonly store: ApiKeyStore,
    private readonly custody: KeyCustody,
    private readonly buckets: TokenBuckets,
    private readonly cacheMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (authorization === undefined || authorization === '') {
      throw unauthorized("You didn't provide an API key: send it as 'Authorization: Bearer sk-aegis-...' (`aegis api-keys create` makes one)");
    }
    const secret = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (secret === undefined || !secret.startsWith(API_KEY_PREFIX)) throw unauthorized('Incorrect API key provided: expected a bearer token sk-aegis-...');
    const keyHash = hashApiKey(secret);
    const caller = await this.lookup(keyHash);
    if (!caller) throw unauthorized('Incorrect API key provided: unknown or revoked');
    const wait = this.buckets.take(caller.keyId);
    if (wait > 0) throw rateLimited(`Rate limit reached for API key ${caller.keyId}: retry in ${wait.toFixed(2)}s`);
    return caller;
  }

  private async lookup(keyHash: string): Promise<Caller | null> {
    const t = this.now();
    const hit = this.cache.get(keyHash);
    if (hit && hit.until > t) return hit.caller;
    const row = await this.store.findByHash(keyHash);
    const caller = row && !row.revokedAt ? { keyId: row.id, account: row.account, key: this.custody.open(row.sealedKey, row.account) } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(keyHash, { caller, until: t + this.cacheMs });
    return caller;
  }
}
