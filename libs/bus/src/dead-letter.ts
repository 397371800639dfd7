import { createTopicMessage, DeadLetterReason, encodeTopicMessage, TOPICS, type DeadLetter } from '@aegis/contracts';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { BusRecord, OutgoingRecord } from './bus.port';

/** Header on every dead-letter record, so `kafka-console-consumer` shows the reason without decoding. */
export const DEAD_LETTER_REASON_HEADER = 'aegis-dead-letter-reason';

/** The aegis.dead-letter.v1 record for a refused record: original bytes, position and reason. */
export function deadLetterRecord(
  record: Omit<BusRecord, 'attempt'>,
  groupId: string,
  reason: DeadLetterReason,
  detail: string,
  nowMs: number,
): OutgoingRecord {
  const message: DeadLetter = createTopicMessage(TOPICS.deadLetter, {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: Buffer.from(record.key, 'utf8'),
    value: record.value,
    headers: Object.entries(record.headers).map(([key, value]) => ({ key, value: Buffer.from(value, 'utf8') })),
    reason,
    // Handler messages can quote attacker-controlled input: keep the record small.
    detail: detail.length > 2000 ? `${detail.slice(0, 2000)}...` : detail,
    groupId,
    failedAt: timestampFromMs(nowMs),
  });
  return {
    topic: TOPICS.deadLetter,
    // An unkeyed original still needs a key here; its topic keeps such records together.
    key: record.key === '' ? record.topic : record.key,
    value: encodeTopicMessage(TOPICS.deadLetter, message),
    headers: { [DEAD_LETTER_REASON_HEADER]: DeadLetterReason[reason] ?? String(reason) },
  };
}
