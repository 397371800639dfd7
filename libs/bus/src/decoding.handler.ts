import { ContractsError, ContractsErrorCode, decodeTopicMessage, type TopicMessage, type TopicName } from '@aegis/contracts';
import { PoisonMessageError } from './bus.errors';
import type { BusRecord, RecordHandler } from './bus.port';

/**
 * Wraps a typed handler: decodes the record as `topic`'s message and dead-letters it
 * (UNDECODABLE) when it cannot be decoded, so a consumer never sees raw bytes or crashes on them.
 */
export function decodingHandler<T extends TopicName>(
  topic: T,
  handle: (message: TopicMessage<T>, record: BusRecord) => Promise<void>,
): RecordHandler {
  return async (record) => {
    let message: TopicMessage<T>;
    try {
      message = decodeTopicMessage(topic, record.value);
    } catch (err) {
      if (err instanceof ContractsError && err.code === ContractsErrorCode.UNDECODABLE) {
        throw new PoisonMessageError('undecodable', err.field, err.message, { cause: err });
      }
      throw err;
    }
    await handle(message, record);
  };
}

/** One subscription, several topics: dispatches each record to its topic's handler. */
export function routeByTopic(handlers: Readonly<Record<string, RecordHandler>>): RecordHandler {
  return async (record) => {
    const handler = handlers[record.topic];
    // Subscribed but not routed is a wiring bug, not a bad record: fail loudly, do not dead-letter.
    if (!handler) throw new Error(`routeByTopic: no handler for topic ${record.topic}`);
    await handler(record);
  };
}
