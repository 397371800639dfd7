import { AegisError } from '@aegis/protocol';

export enum ContractsErrorCode {
  /** The bytes are not a valid protobuf encoding of the topic's message. */
  UNDECODABLE = 'UNDECODABLE',
  /** A name that is not one of the contract's topics. */
  UNKNOWN_TOPIC = 'UNKNOWN_TOPIC',
}

/** An input that breaks a contract; `field` names what was wrong (a topic, a message field). */
export class ContractsError extends AegisError<ContractsErrorCode> {
  override readonly name = 'ContractsError';
  declare readonly field: string;

  constructor(code: ContractsErrorCode, field: string, message: string) {
    super(code, 'invalid', `${field}: ${message}`, { field });
  }
}
