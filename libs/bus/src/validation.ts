import { BusError, BusErrorCode } from './bus.errors';
import type { OutgoingRecord, SubscribeOptions } from './bus.port';

const GROUP_ID = /^[A-Za-z0-9._-]{1,200}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** Argument checks both adapters share, so they refuse the same inputs with the same errors. */
export function checkOutgoing(record: OutgoingRecord, index?: number): void {
  const at = index === undefined ? '' : `records[${index}].`;
  if (typeof record.topic !== 'string' || !TOPIC.test(record.topic)) {
    throw new BusError(BusErrorCode.INVALID_ARGUMENT, `${at}topic`, `not a valid topic name: ${JSON.stringify(record.topic)}`);
  }
  if (typeof record.key !== 'string' || record.key.length === 0) {
    throw new BusError(BusErrorCode.INVALID_ARGUMENT, `${at}key`, 'must be a non-empty string (records are keyed for ordering)');
  }
  if (!(record.value instanceof Uint8Array)) throw new BusError(BusErrorCode.INVALID_ARGUMENT, `${at}value`, 'must be a Uint8Array');
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (typeof value !== 'string') throw new BusError(BusErrorCode.INVALID_ARGUMENT, `${at}headers.${name}`, 'must be a string');
  }
}

export function checkSubscribe(options: SubscribeOptions): void {
  if (typeof options.groupId !== 'string' || !GROUP_ID.test(options.groupId)) {
    throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'groupId', `not a valid group id: ${JSON.stringify(options.groupId)}`);
  }
  if (!Array.isArray(options.topics) || options.topics.length === 0) {
    throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'topics', 'must list at least one topic');
  }
  options.topics.forEach((topic, i) => {
    if (typeof topic !== 'string' || !TOPIC.test(topic)) {
      throw new BusError(BusErrorCode.INVALID_ARGUMENT, `topics[${i}]`, `not a valid topic name: ${JSON.stringify(topic)}`);
    }
  });
  if (typeof options.handler !== 'function') throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'handler', 'must be a function');
  if (options.ordering !== undefined && options.ordering !== 'partition' && options.ordering !== 'key') {
    throw new BusError(BusErrorCode.INVALID_ARGUMENT, 'ordering', `must be 'partition' or 'key', got ${JSON.stringify(options.ordering)}`);
  }
}
