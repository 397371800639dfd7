import { DeadLetterReason } from '@aegis/contracts';
import { AegisError, type ErrorKind } from '@aegis/protocol';

export enum BusErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  UNKNOWN_TOPIC = 'UNKNOWN_TOPIC',
  CLOSED = 'CLOSED',
  PUBLISH_FAILED = 'PUBLISH_FAILED',
  SUBSCRIBE_FAILED = 'SUBSCRIBE_FAILED',
}

/** Misuse of the bus or a broker failure; `field` names the offending argument. */
const KIND: Record<BusErrorCode, ErrorKind> = {
  [BusErrorCode.INVALID_ARGUMENT]: 'invalid',
  [BusErrorCode.UNKNOWN_TOPIC]: 'invalid',
  [BusErrorCode.CLOSED]: 'unavailable',
  [BusErrorCode.PUBLISH_FAILED]: 'unavailable',
  [BusErrorCode.SUBSCRIBE_FAILED]: 'unavailable',
};

export class BusError extends AegisError<BusErrorCode> {
  override readonly name = 'BusError';
  declare readonly field: string;

  constructor(code: BusErrorCode, field: string, message: string, options?: { cause?: unknown }) {
    super(code, KIND[code], `${field}: ${message}`, { field, cause: options?.cause });
  }
}

export type PoisonReason = 'undecodable' | 'invalid';

/**
 * Thrown by a handler for a record that can never succeed (cannot be decoded, fails validation,
 * bad signature): the bus dead-letters it instead of retrying, and the partition moves on.
 */
export class PoisonMessageError extends AegisError<PoisonReason> {
  override readonly name = 'PoisonMessageError';
  /** The offending field, e.g. "signature", or the topic for an undecodable value. */
  declare readonly field: string;

  constructor(
    readonly reason: PoisonReason,
    field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason, 'invalid', `${field}: ${message}`, { field, retryable: false, cause: options?.cause });
  }

  get deadLetterReason(): DeadLetterReason {
    switch (this.reason) {
      case 'undecodable':
        return DeadLetterReason.UNDECODABLE;
      case 'invalid':
        return DeadLetterReason.INVALID;
      default: {
        const unreachable: never = this.reason;
        return unreachable;
      }
    }
  }
}
