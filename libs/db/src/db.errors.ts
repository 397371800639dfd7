import { AegisError, type ErrorKind } from '@aegis/protocol';

export enum DbErrorCode {
  INVALID_URL = 'INVALID_URL',
  INVALID_SCHEMA = 'INVALID_SCHEMA',
  LOCAL_POSTGRES_FAILED = 'LOCAL_POSTGRES_FAILED',
}

const KIND: Record<DbErrorCode, ErrorKind> = {
  [DbErrorCode.INVALID_URL]: 'invalid',
  [DbErrorCode.INVALID_SCHEMA]: 'invalid',
  [DbErrorCode.LOCAL_POSTGRES_FAILED]: 'unavailable',
};

export class DbError extends AegisError<DbErrorCode> {
  override readonly name = 'DbError';
  declare readonly field: string;

  constructor(code: DbErrorCode, field: string, message: string) {
    super(code, KIND[code], `${code} (${field}): ${message}`, { field });
  }
}
