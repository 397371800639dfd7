/** Why the ledger refused a command. Stable strings: they travel to gRPC clients and logs. */
export enum LedgerErrorCode {
  INVALID_AMOUNT = 'INVALID_AMOUNT',
  INVALID_ADDRESS = 'INVALID_ADDRESS',
  INVALID_COMMAND = 'INVALID_COMMAND',
  INSUFFICIENT_FUNDS = 'INSUFFICIENT_FUNDS',
  UNKNOWN_ACCOUNT = 'UNKNOWN_ACCOUNT',
  UNKNOWN_DISPUTE = 'UNKNOWN_DISPUTE',
  DISPUTE_EXISTS = 'DISPUTE_EXISTS',
  DISPUTE_OPEN = 'DISPUTE_OPEN',
  DISPUTE_CLOSED = 'DISPUTE_CLOSED',
  NOT_MATURED = 'NOT_MATURED',
  NOTHING_TO_WITHDRAW = 'NOTHING_TO_WITHDRAW',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  BAD_SIGNATURE = 'BAD_SIGNATURE',
}

/** A refused command. `field` names the offending input (e.g. `amount`, `address`, `key`). */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';

  constructor(
    readonly code: LedgerErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${code} (${field}): ${message}`);
  }
}

export function isLedgerError(err: unknown, code?: LedgerErrorCode): err is LedgerError {
  return err instanceof LedgerError && (code === undefined || err.code === code);
}
