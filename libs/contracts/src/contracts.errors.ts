export enum ContractsErrorCode {
  /** The bytes are not a valid protobuf encoding of the topic's message. */
  UNDECODABLE = 'UNDECODABLE',
  /** A name that is not one of the contract's topics. */
  UNKNOWN_TOPIC = 'UNKNOWN_TOPIC',
}

/** An input that breaks a contract; `field` names what was wrong (a topic, a message field). */
export class ContractsError extends Error {
  constructor(
    readonly code: ContractsErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ContractsError';
  }
}
