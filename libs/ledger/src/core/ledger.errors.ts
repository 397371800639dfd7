import { AegisError, type ErrorKind } from '@aegis/protocol';

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

// What a client can do about each refusal: fix the input, or change the state first (fund the
// account, wait out the unbonding, let the dispute close). Names that do not exist count as state.
const KIND: Record<LedgerErrorCode, ErrorKind> = {
  [LedgerErrorCode.INVALID_AMOUNT]: 'invalid',
  [LedgerErrorCode.INVALID_ADDRESS]: 'invalid',
  [LedgerErrorCode.INVALID_COMMAND]: 'invalid',
  [LedgerErrorCode.BAD_SIGNATURE]: 'unauthenticated',
  [LedgerErrorCode.INSUFFICIENT_FUNDS]: 'precondition',
  [LedgerErrorCode.UNKNOWN_ACCOUNT]: 'precondition',
  [LedgerErrorCode.UNKNOWN_DISPUTE]: 'precondition',
  [LedgerErrorCode.DISPUTE_EXISTS]: 'precondition',
  [LedgerErrorCode.DISPUTE_OPEN]: 'precondition',
  [LedgerErrorCode.DISPUTE_CLOSED]: 'precondition',
  [LedgerErrorCode.NOT_MATURED]: 'precondition',
  [LedgerErrorCode.NOTHING_TO_WITHDRAW]: 'precondition',
  [LedgerErrorCode.IDEMPOTENCY_CONFLICT]: 'precondition',
};

/** A refused command. `field` names the offending input (e.g. `amount`, `address`, `key`). */
export class LedgerError extends AegisError<LedgerErrorCode> {
  override readonly name = 'LedgerError';
  declare readonly field: string;

  constructor(code: LedgerErrorCode, field: string, message: string) {
    super(code, KIND[code], `${code} (${field}): ${message}`, { field });
  }
}

export function isLedgerError(err: unknown, code?: LedgerErrorCode): err is LedgerError {
  return err instanceof LedgerError && (code === undefined || err.code === code);
}
