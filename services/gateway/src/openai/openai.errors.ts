/**
 * Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the HTTP
 * status an OpenAI client expects: its SDKs map the status to an error class
 * (400 BadRequestError, 401 AuthenticationError, 404 NotFoundError, 429 RateLimitError, ...).
 */
export type OpenAiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'insufficient_quota'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'verification_error'
  | 'server_error'
  | 'service_unavailable';

export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    readonly type: OpenAiErrorType,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra fields of the error object (the `aegis` task facts of a rejected task). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } & Record<string, unknown> } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.extra } };
  }
}

export const badParam = (param: string, message: string, code = 'invalid_value'): OpenAiError =>
  new OpenAiError(400, 'invalid_request_error', `${param}: ${message}`, param, code);

export const unsupportedParam = (param: string, why: string): OpenAiError =>
  new OpenAiError(400, 'invalid_request_error', `${param}: not supported by this network (${why})`, param, 'unsupported_parameter');

export const unauthorized = (message: string): OpenAiError =>
  new OpenAiError(401, 'authentication_error', message, null, 'invalid_api_key');

export const unknownModel = (model: string, served: readonly string[]): OpenAiError =>
  new OpenAiError(
    404,
    'not_found_error',
    `The model '${model}' does not exist or is not served here (served: ${served.join(', ') || 'none'})`,
    'model',
    'model_not_found',
  );

export const tooLarge = (param: string | null, message: string, code: string): OpenAiError =>
  new OpenAiError(413, 'invalid_request_error', message, param, code);

export const rateLimited = (message: string): OpenAiError => new OpenAiError(429, 'rate_limit_error', message, null, 'rate_limit_exceeded');

export const noFunds = (message: string): OpenAiError => new OpenAiError(402, 'insufficient_quota', message, null, 'insufficient_quota');

export const ingressUnavailable = (message: string): OpenAiError =>
  new OpenAiError(503, 'service_unavailable', message, null, 'ingress_unavailable');

/** Anything not an OpenAiError is ours: 500 without internals. */
export function asOpenAiError(err: unknown): OpenAiError {
  return err instanceof OpenAiError ? err : new OpenAiError(500, 'server_error', 'internal error', null, 'internal_error');
}
