import { create, fromBinary, toBinary, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { ContractsError, ContractsErrorCode } from './contracts.errors';
import { isTopicName, TOPIC_SCHEMAS, type TopicName } from './topics';

type SchemaOf<T extends TopicName> = (typeof TOPIC_SCHEMAS)[T];

/** The message type a topic carries, e.g. `TopicMessage<'aegis.results.v1'>` is `Result`. */
export type TopicMessage<T extends TopicName> = MessageShape<SchemaOf<T>>;
/** What `create` accepts for a topic's message: every field optional, nested messages as plain objects. */
export type TopicMessageInit<T extends TopicName> = MessageInitShape<SchemaOf<T>>;

/** Builds a topic's message with defaults for missing fields. */
export function createTopicMessage<T extends TopicName>(topic: T, init: TopicMessageInit<T>): TopicMessage<T> {
  return create(schemaFor(topic), init);
}

/** Protobuf binary encoding of a topic's message. */
export function encodeTopicMessage<T extends TopicName>(topic: T, message: TopicMessage<T>): Uint8Array {
  return toBinary(schemaFor(topic), message);
}

/**
 * Decodes a record value. Throws ContractsError(UNDECODABLE) on malformed wire data. Decoding
 * proves only that the bytes are well-formed protobuf: each consumer still validates the fields
 * (lengths of hashes and addresses, signatures) before acting on them.
 */
export function decodeTopicMessage<T extends TopicName>(topic: T, bytes: Uint8Array): TopicMessage<T> {
  const schema = schemaFor(topic);
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ContractsError(ContractsErrorCode.UNDECODABLE, topic, `not a valid ${schema.typeName}: ${reason}`);
  }
}

function schemaFor<T extends TopicName>(topic: T): SchemaOf<T> {
  // Callers from plain JavaScript or from configuration can pass any string.
  if (!isTopicName(topic)) throw new ContractsError(ContractsErrorCode.UNKNOWN_TOPIC, 'topic', `unknown topic ${JSON.stringify(topic)}`);
  return TOPIC_SCHEMAS[topic];
}
