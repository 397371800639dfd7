import { AegisError, type ErrorKind } from '@aegis/protocol';

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

const KIND: Record<ModelErrorCode, ErrorKind> = {
  [ModelErrorCode.UnknownModel]: 'not-found',
  [ModelErrorCode.InvalidDescriptor]: 'invalid',
  [ModelErrorCode.ModelFileMismatch]: 'invalid',
  [ModelErrorCode.MalformedModel]: 'invalid',
  [ModelErrorCode.InvalidTask]: 'invalid',
  [ModelErrorCode.InvalidOption]: 'invalid',
  [ModelErrorCode.ExecutionProvider]: 'unavailable',
  [ModelErrorCode.Runtime]: 'internal',
};

/** The model lib's own error: a code to switch on and the offending field (dotted path). */
export class ModelError extends AegisError<ModelErrorCode> {
  override readonly name = 'ModelError';
  declare readonly field: string;

  constructor(code: ModelErrorCode, field: string, message: string) {
    // An execution provider that is not there stays not there: not worth retrying as is.
    super(code, KIND[code], `${field}: ${message}`, { field, retryable: false });
  }
}
