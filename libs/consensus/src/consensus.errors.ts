import { AegisError, type ErrorKind, fieldMessage } from '@aegis/protocol';

/**
 * Every refusal of the consensus core is a ConsensusError with a machine-readable code and the
 * field at fault, so the tallier can map it to a gRPC status or a dead-letter reason without
 * parsing text. The exhaustive switch in `isRetryable` fails to compile when a code is added
 * without deciding how callers should treat it.
 */
export enum ConsensusErrorCode {
  /** An event field is missing, has the wrong type, or breaks a documented rule. */
  INVALID_EVENT = 'INVALID_EVENT',
  /** A configuration value (window, share, k) is out of range. */
  INVALID_CONFIG = 'INVALID_CONFIG',
  /** A verdict or tick names a submission the machine has no state for. */
  UNKNOWN_SUBMISSION = 'UNKNOWN_SUBMISSION',
  /** An event for submission X was applied to the state of submission Y. */
  SUBMISSION_MISMATCH = 'SUBMISSION_MISMATCH',
  /** The same submission id was submitted again with different content. */
  SUBMISSION_CONFLICT = 'SUBMISSION_CONFLICT',
  /** A window-closed event arrived before the window's close time. */
  WINDOW_OPEN = 'WINDOW_OPEN',
  /** An event is timestamped before the last event the submission saw. */
  CLOCK_REGRESSION = 'CLOCK_REGRESSION',
  /** A stake, total stake or k given to the lottery is out of range. */
  INVALID_STAKE = 'INVALID_STAKE',
  /** A beacon link is malformed, mis-signed, or does not extend the expected head. */
  INVALID_BEACON = 'INVALID_BEACON',
}

const KIND: Record<ConsensusErrorCode, ErrorKind> = {
  [ConsensusErrorCode.INVALID_EVENT]: 'invalid',
  [ConsensusErrorCode.INVALID_CONFIG]: 'invalid',
  [ConsensusErrorCode.UNKNOWN_SUBMISSION]: 'not-found',
  [ConsensusErrorCode.SUBMISSION_MISMATCH]: 'invalid',
  [ConsensusErrorCode.SUBMISSION_CONFLICT]: 'conflict',
  [ConsensusErrorCode.WINDOW_OPEN]: 'precondition',
  [ConsensusErrorCode.CLOCK_REGRESSION]: 'invalid',
  [ConsensusErrorCode.INVALID_STAKE]: 'invalid',
  [ConsensusErrorCode.INVALID_BEACON]: 'invalid',
};

export class ConsensusError extends AegisError<ConsensusErrorCode> {
  override readonly name = 'ConsensusError';

  constructor(code: ConsensusErrorCode, message: string, field?: string) {
    super(code, KIND[code], fieldMessage(field, message), { field, retryable: isRetryable(code) });
  }
}

/**
 * Whether re-delivering the same event later could succeed. Only a too-early tick can: every
 * other refusal is a property of the event itself and belongs on the dead-letter topic.
 */
export function isRetryable(code: ConsensusErrorCode): boolean {
  switch (code) {
    case ConsensusErrorCode.WINDOW_OPEN:
      return true;
    case ConsensusErrorCode.INVALID_EVENT:
    case ConsensusErrorCode.INVALID_CONFIG:
    case ConsensusErrorCode.UNKNOWN_SUBMISSION:
    case ConsensusErrorCode.SUBMISSION_MISMATCH:
    case ConsensusErrorCode.SUBMISSION_CONFLICT:
    case ConsensusErrorCode.CLOCK_REGRESSION:
    case ConsensusErrorCode.INVALID_STAKE:
    case ConsensusErrorCode.INVALID_BEACON:
      return false;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

export function invalid(code: ConsensusErrorCode, field: string, message: string): ConsensusError {
  return new ConsensusError(code, message, field);
}
