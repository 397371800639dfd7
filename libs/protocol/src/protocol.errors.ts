import { AegisError, type ErrorKind, fieldMessage } from './aegis.error';

/**
 * Every failure of the protocol core is a ProtocolError with a machine-readable code and, where
 * an input was at fault, the name of the offending field, so that edges (gRPC, Kafka consumers,
 * the CLI) can map it to a status and a message without parsing text.
 */
export enum ProtocolErrorCode {
  /** A field is missing, has the wrong type or shape, or breaks a documented rule. */
  INVALID_FIELD = 'INVALID_FIELD',
  /** A hex string is malformed or has the wrong length. */
  INVALID_HEX = 'INVALID_HEX',
  /** A numeric value is outside the range its encoding or rule allows. */
  OUT_OF_RANGE = 'OUT_OF_RANGE',
  /** A signature is malformed or does not recover to a public key. */
  BAD_SIGNATURE = 'BAD_SIGNATURE',
  /** A private key is not a valid secp256k1 scalar, or does not match the claimed address. */
  BAD_KEY = 'BAD_KEY',
  /** Proof-of-work grinding gave up after its try budget. */
  POW_EXHAUSTED = 'POW_EXHAUSTED',
}

const KIND: Record<ProtocolErrorCode, ErrorKind> = {
  [ProtocolErrorCode.INVALID_FIELD]: 'invalid',
  [ProtocolErrorCode.INVALID_HEX]: 'invalid',
  [ProtocolErrorCode.OUT_OF_RANGE]: 'invalid',
  [ProtocolErrorCode.BAD_SIGNATURE]: 'unauthenticated',
  [ProtocolErrorCode.BAD_KEY]: 'invalid',
  [ProtocolErrorCode.POW_EXHAUSTED]: 'exhausted',
};

export class ProtocolError extends AegisError<ProtocolErrorCode> {
  override readonly name = 'ProtocolError';

  constructor(code: ProtocolErrorCode, message: string, field?: string) {
    super(code, KIND[code], fieldMessage(field, message), { field });
  }
}

/** Shorthand used by validators: an error that names the field at fault. */
export function invalidField(field: string, message: string, code = ProtocolErrorCode.INVALID_FIELD): ProtocolError {
  return new ProtocolError(code, message, field);
}
