import { TOPICS } from '@aegis/contracts';

const HASH_KEY = /^0x[0-9a-f]{64}$/;
const HASH_OR_ADDRESS_KEY = /^0x(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MAX_IDEMPOTENCY_KEY = 200;

/**
 * What docs/events.md says each topic's key is: the task hash (lowercase 0x hex, 32 bytes) on
 * every task-keyed topic, the node address or a 32-byte id on ledger commands, the command's
 * idempotency key on ledger and stake events. A record keyed otherwise was not written by this
 * project's producers and would land on the wrong partition for its task: it is invalid.
 */
export function recordKeyProblem(topic: string, key: string): string | undefined {
  switch (topic) {
    case TOPICS.ledgerCommands:
      return HASH_OR_ADDRESS_KEY.test(key) ? undefined : `not a lowercase 0x address or 32-byte hex id: ${describe(key)}`;
    case TOPICS.ledgerEvents:
    case TOPICS.stakeEvents:
      return key.length > 0 && key.length <= MAX_IDEMPOTENCY_KEY
        ? undefined
        : `not an idempotency key (1..${MAX_IDEMPOTENCY_KEY} characters)`;
    case TOPICS.deadLetter:
      return undefined;
    default:
      return HASH_KEY.test(key) ? undefined : `not a lowercase 0x task hash (32 bytes): ${describe(key)}`;
  }
}

function describe(key: string): string {
  const text = JSON.stringify(key);
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
