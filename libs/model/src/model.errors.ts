/** Why a model-layer operation was refused. String values so logs and JSON stay readable. */
export enum ModelErrorCode {
  UnknownModel = 'UNKNOWN_MODEL',
  InvalidDescriptor = 'INVALID_DESCRIPTOR',
  ModelFileMismatch = 'MODEL_FILE_MISMATCH',
  MalformedModel = 'MALFORMED_MODEL',
  InvalidTask = 'INVALID_TASK',
  InvalidOption = 'INVALID_OPTION',
  ExecutionProvider = 'EXECUTION_PROVIDER',
  Runtime = 'RUNTIME',
}

/** The model lib's own error: a code to switch on and the offending field (dotted path). */
export class ModelError extends Error {
  override readonly name = 'ModelError';

  constructor(
    readonly code: ModelErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
