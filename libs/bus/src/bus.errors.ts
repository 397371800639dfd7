import { DeadLetterReason } from '@aegis/contracts';

export enum BusErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  UNKNOWN_TOPIC = 'UNKNOWN_TOPIC',
  CLOSED = 'CLOSED',
  PUBLISH_FAILED = 'PUBLISH_FAILED',
  SUBSCRIBE_FAILED = 'SUBSCRIBE_FAILED',
}

/** Misuse of the bus or a broker failure; `field` names the offending argument. */
export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
    this.name = 'BusError';
  }
}

export type PoisonReason = 'undecodable' | 'invalid';

/**
 * Thrown by a handler for a record that can never succeed (cannot be decoded, fails validation,
 * bad signature): the bus dead-letters it instead of retrying, and the partition moves on.
 */
export class PoisonMessageError extends Error {
  constructor(
    readonly reason: PoisonReason,
    /** The offending field, e.g. "signature", or the topic for an undecodable value. */
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
    this.name = 'PoisonMessageError';
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
