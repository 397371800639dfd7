import { createHash, randomBytes } from 'node:crypto';

/** What the gateway stores for one API key: never the key itself, only its sha256. */
export interface ApiKeyRecord {
  /** Public id (`key_...`), for list and revoke. */
  readonly id: string;
  readonly name: string;
  /** sha256 of the secret, hex. */
  readonly keyHash: string;
  /** The client account (0x address) whose key signs this API key's tasks. */
  readonly account: string;
  /** The account's secp256k1 key, sealed by KeyCustody. */
  readonly sealedKey: Buffer;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export interface ApiKeyStore {
  insert(record: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; false when there is no such key (revoking twice is fine). */
  revoke(id: string, at: Date): Promise<boolean>;
  close(): Promise<void>;
}

export const API_KEY_PREFIX = 'sk-aegis-';

/** A new secret (shown once) and its public id. */
export function newApiKey(): { secret: string; id: string } {
  return { secret: `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`, id: `key_${randomBytes(8).toString('hex')}` };
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** For tests and single-process use: the same contract as the Postgres store. */
export class InMemoryApiKeyStore implements ApiKeyStore {
  private readonly rows = new Map<string, ApiKeyRecord>();

  async insert(record: ApiKeyRecord): Promise<void> {
    if ([...this.rows.values()].some((r) => r.keyHash === record.keyHash)) throw new Error('duplicate key hash');
    this.rows.set(record.id, record);
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return [...this.rows.values()].find((r) => r.keyHash === keyHash);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...this.rows.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row) return false;
    if (!row.revokedAt) this.rows.set(id, { ...row, revokedAt: at });
    return true;
  }

  async close(): Promise<void> {}
}
