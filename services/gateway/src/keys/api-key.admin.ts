import { NodeKey } from '@aegis/protocol';
import { type ApiKeyRecord, type ApiKeyStore, hashApiKey, newApiKey } from './api-key';
import type { KeyCustody } from './key.custody';

export interface CreatedApiKey {
  readonly id: string;
  readonly name: string;
  /** The secret: shown once, stored only as its sha256. */
  readonly secret: string;
  /** The client account (0x address) that pays for this key's tasks. */
  readonly account: string;
}

/** A public view of a stored key (what `aegis api-keys list` prints). */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly account: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/**
 * A new API key for a new client account (a fresh secp256k1 key, sealed in custody), or for
 * the account of `key` when given (an existing funded client key moved into custody).
 */
export async function createApiKey(
  store: ApiKeyStore,
  custody: KeyCustody,
  name: string,
  key: NodeKey = NodeKey.generate(),
): Promise<CreatedApiKey> {
  if (!/^[\w .:@-]{1,64}$/.test(name)) throw new RangeError('name: 1-64 letters, digits, spaces or _ . : @ -');
  const { secret, id } = newApiKey();
  const record: ApiKeyRecord = {
    id,
    name,
    keyHash: hashApiKey(secret),
    account: key.address,
    sealedKey: custody.seal(key),
    createdAt: new Date(),
    revokedAt: null,
  };
  await store.insert(record);
  return { id, name, secret, account: key.address };
}

export function viewOf(r: ApiKeyRecord): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    account: r.account,
    createdAt: r.createdAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
  };
}
