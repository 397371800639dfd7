export enum DbErrorCode {
  INVALID_URL = 'INVALID_URL',
  INVALID_SCHEMA = 'INVALID_SCHEMA',
  LOCAL_POSTGRES_FAILED = 'LOCAL_POSTGRES_FAILED',
}

export class DbError extends Error {
  override readonly name = 'DbError';

  constructor(
    readonly code: DbErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${code} (${field}): ${message}`);
  }
}
