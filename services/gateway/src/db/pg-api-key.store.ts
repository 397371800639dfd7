import type { DataSource } from 'typeorm';
import type { ApiKeyRecord, ApiKeyStore } from '../keys/api-key';

interface Row {
  id: string;
  name: string;
  key_hash: string;
  account: string;
  sealed_key: Buffer;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, key_hash, account, sealed_key, created_at, revoked_at';

/** ApiKeyStore on Postgres (schema `gateway`, migrated by `aegis db migrate`). */
export class PgApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ownsDataSource = true,
  ) {}

  private get table(): string {
    const schema = (this.dataSource.options as { schema?: string }).schema ?? 'gateway';
    return `"${schema}".api_keys`;
  }

  async insert(r: ApiKeyRecord): Promise<void> {
    await this.dataSource.query(`INSERT INTO ${this.table} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      r.id,
      r.name,
      r.keyHash,
      r.account,
      r.sealedKey,
      r.createdAt,
      r.revokedAt,
    ]);
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    const rows = (await this.dataSource.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE key_hash = $1`, [keyHash])) as Row[];
    return rows[0] ? record(rows[0]) : undefined;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = (await this.dataSource.query(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY created_at, id`)) as Row[];
    return rows.map(record);
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    // Revoking twice keeps the first time.
    const rows = (await this.dataSource.query(`UPDATE ${this.table} SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id`, [
      id,
      at,
    ])) as unknown[];
    return (Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows).length > 0;
  }

  async close(): Promise<void> {
    if (this.ownsDataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

function record(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    keyHash: r.key_hash,
    account: r.account,
    sealedKey: r.sealed_key,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  };
}
