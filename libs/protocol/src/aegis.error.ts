/**
 * The one error family of the project. Every library and service raises its own subclass with its
 * own codes, but each carries the same four facts, so an edge (the gRPC filter, the HTTP gateway,
 * a bus consumer, the CLI) answers any of them without knowing which lib raised it:
 *
 * - `code`: the lib's machine-readable reason (a string enum of that lib);
 * - `field`: the input at fault (a dotted path, a variable, an option), when an input was;
 * - `kind`: what class of failure it is, which fixes the status an edge answers with;
 * - `retryable`: whether the same request may succeed later unchanged.
 */
export type ErrorKind =
  /** The input itself is wrong (gRPC INVALID_ARGUMENT, HTTP 400). */
  | 'invalid'
  /** A signature or credential does not check out (UNAUTHENTICATED, 401). */
  | 'unauthenticated'
  /** Something named does not exist (NOT_FOUND, 404). */
  | 'not-found'
  /** It exists already, or conflicts with what exists (ALREADY_EXISTS, 409). */
  | 'conflict'
  /** Valid, but not allowed in the current state: funds, a dispute, a window (FAILED_PRECONDITION, 409/402). */
  | 'precondition'
  /** A bound was reached: queue full, rate limit, try budget (RESOURCE_EXHAUSTED, 429). */
  | 'exhausted'
  /** Something this depends on cannot be reached now (UNAVAILABLE, 503). */
  | 'unavailable'
  /** A bug or broken invariant: logged, answered without detail (INTERNAL, 500). */
  | 'internal';

export interface AegisErrorOptions {
  readonly field?: string | undefined;
  /** Default: true for `unavailable` and `exhausted`, false otherwise. */
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export abstract class AegisError<Code extends string = string> extends Error {
  readonly field: string | undefined;
  readonly retryable: boolean;

  /** `message` is the full text (each lib keeps its format; by convention it leads with the field). */
  protected constructor(
    readonly code: Code,
    readonly kind: ErrorKind,
    message: string,
    options: AegisErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
    this.retryable = options.retryable ?? (kind === 'unavailable' || kind === 'exhausted');
  }
}

export function isAegisError(err: unknown): err is AegisError {
  return err instanceof AegisError;
}

/** The usual message: the field first, so a reader (and a test) sees which input was refused. */
export function fieldMessage(field: string | undefined, message: string): string {
  return field === undefined ? message : `${field}: ${message}`;
}
