import type { DescMessage } from '@bufbuild/protobuf';
import { DeadLetterSchema } from './gen/aegis/events/v1/dead_letter_pb';
import { DisputeEventSchema } from './gen/aegis/events/v1/dispute_events_pb';
import { LedgerCommandSchema, LedgerEventSchema } from './gen/aegis/events/v1/ledger_events_pb';
import { ResultSchema, SubmissionSchema } from './gen/aegis/events/v1/result_events_pb';
import { TaskSchema, TaskStatusChangedSchema } from './gen/aegis/events/v1/task_events_pb';
import { CheckedVerdictSchema, VerdictSchema } from './gen/aegis/events/v1/verdict_events_pb';

/**
 * Every Kafka topic. The version suffix is the payload's: a breaking payload change is a new
 * topic (and a new proto package), consumed side by side until the old one drains.
 */
export const TOPICS = {
  tasks: 'aegis.tasks.v1',
  taskStatus: 'aegis.task-status.v1',
  results: 'aegis.results.v1',
  submissions: 'aegis.submissions.v1',
  verdicts: 'aegis.verdicts.v1',
  checkedVerdicts: 'aegis.checked-verdicts.v1',
  disputes: 'aegis.disputes.v1',
  ledgerCommands: 'aegis.ledger-commands.v1',
  ledgerEvents: 'aegis.ledger-events.v1',
  stakeEvents: 'aegis.stake-events.v1',
  deadLetter: 'aegis.dead-letter.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** All topics, in a stable order (what `aegis kafka create-topics` creates). */
export const ALL_TOPICS: readonly TopicName[] = Object.values(TOPICS);

/** The protobuf message each topic carries. */
export const TOPIC_SCHEMAS = {
  'aegis.tasks.v1': TaskSchema,
  'aegis.task-status.v1': TaskStatusChangedSchema,
  'aegis.results.v1': ResultSchema,
  'aegis.submissions.v1': SubmissionSchema,
  'aegis.verdicts.v1': VerdictSchema,
  'aegis.checked-verdicts.v1': CheckedVerdictSchema,
  'aegis.disputes.v1': DisputeEventSchema,
  'aegis.ledger-commands.v1': LedgerCommandSchema,
  'aegis.ledger-events.v1': LedgerEventSchema,
  // The ledger events that move a stake, again: what every stake view folds (see TOPIC_CONFIGS).
  'aegis.stake-events.v1': LedgerEventSchema,
  'aegis.dead-letter.v1': DeadLetterSchema,
} as const satisfies Record<TopicName, DescMessage>;

export function isTopicName(name: string): name is TopicName {
  return Object.prototype.hasOwnProperty.call(TOPIC_SCHEMAS, name);
}

/**
 * Topic-level settings a topic is created with (`aegis kafka create-topics`); a topic not listed
 * takes the broker's defaults. aegis.stake-events.v1 is kept forever: every stake view
 * (feedStakeView) is folded from its whole history, so under a retention limit a process started
 * after the cutoff would miss the stakes deposited before it and count other active nodes than its
 * peers (a different tally threshold, a different verifier lottery). It carries only the ledger
 * events that move a stake (a few per node, not two per task like aegis.ledger-events.v1), so
 * keeping it forever keeps the replay at start-up short.
 */
export const TOPIC_CONFIGS: Readonly<Partial<Record<TopicName, Readonly<Record<string, string>>>>> = {
  [TOPICS.stakeEvents]: { 'retention.ms': '-1', 'retention.bytes': '-1' },
};

/** The settings `topic` is created with: TOPIC_CONFIGS' entry, or none. */
export function topicConfigOf(topic: string): Readonly<Record<string, string>> {
  return (isTopicName(topic) ? TOPIC_CONFIGS[topic] : undefined) ?? {};
}
