import type { OutgoingRecord } from '@aegis/bus';
import type { LedgerEffect } from '@aegis/consensus';
import {
  addressToWire,
  createTopicMessage,
  encodeTopicMessage,
  type TopicMessageInit,
  type Submission,
  type TaskSpec as WireTaskSpec,
  TaskStatus,
  TOPICS,
} from '@aegis/contracts';
import { type Address, fromHex } from '@aegis/protocol';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';

/**
 * Builders for everything the tallier publishes. Keys follow the contracts: task-scoped topics by
 * task hash; ledger commands by the account they touch, so that one dispute's commands (open,
 * join, liquidate, distribute) keep their order on one partition.
 */
type LedgerCommandInit = TopicMessageInit<typeof TOPICS.ledgerCommands>;

const hash32 = (hex: string, field: string): Uint8Array => fromHex(hex, 32, field);

export function ledgerCommandRecord(effect: LedgerEffect): OutgoingRecord {
  let command: LedgerCommandInit['command'];
  let key: string;
  switch (effect.kind) {
    case 'open-dispute':
      key = effect.disputeId;
      command = {
        case: 'openDispute',
        value: { disputeId: hash32(effect.disputeId, 'disputeId'), accused: addressToWire(effect.accused) },
      };
      break;
    case 'join-dispute':
      key = effect.disputeId;
      command = {
        case: 'joinDispute',
        value: { disputeId: hash32(effect.disputeId, 'disputeId'), address: addressToWire(effect.address) },
      };
      break;
    case 'liquidate':
      key = effect.disputeId;
      command = { case: 'liquidate', value: { disputeId: hash32(effect.disputeId, 'disputeId'), address: addressToWire(effect.address) } };
      break;
    case 'distribute-pool':
      key = effect.disputeId;
      command = {
        case: 'distributePool',
        value: { disputeId: hash32(effect.disputeId, 'disputeId'), winners: effect.winners.map(addressToWire) },
      };
      break;
    case 'payout-fee':
      key = effect.taskId;
      command = {
        case: 'payoutFee',
        value: {
          taskHash: hash32(effect.taskId, 'taskId'),
          submitter: addressToWire(effect.submitter),
          verifiers: effect.verifiers.map(addressToWire),
          submitterShareBps: effect.submitterShareBps,
        },
      };
      break;
    default: {
      const unreachable: never = effect;
      throw new Error(`unknown ledger effect ${JSON.stringify(unreachable)}`);
    }
  }
  const message = createTopicMessage(TOPICS.ledgerCommands, { idempotencyKey: effect.key, command });
  return { topic: TOPICS.ledgerCommands, key, value: encodeTopicMessage(TOPICS.ledgerCommands, message) };
}

export interface StatusChange {
  readonly taskHash: string;
  readonly status: TaskStatus;
  readonly sequence: number;
  readonly node: Address;
  readonly detail: string;
  readonly at: number;
  readonly outputTokens?: readonly number[];
}

export function statusRecord(c: StatusChange): OutgoingRecord {
  const message = createTopicMessage(TOPICS.taskStatus, {
    taskHash: hash32(c.taskHash, 'taskHash'),
    status: c.status,
    node: addressToWire(c.node),
    outputTokens: [...(c.outputTokens ?? [])],
    detail: c.detail,
    changedAt: timestampFromMs(c.at),
    sequence: BigInt(c.sequence),
  });
  return { topic: TOPICS.taskStatus, key: c.taskHash, value: encodeTopicMessage(TOPICS.taskStatus, message) };
}

/** The task offered again on aegis.tasks.v1 (keyed by task hash, as ingress publishes it). */
export function taskOfferRecord(taskHash: string, spec: WireTaskSpec, at: number): OutgoingRecord {
  const message = createTopicMessage(TOPICS.tasks, { taskHash: hash32(taskHash, 'taskHash'), spec, submittedAt: timestampFromMs(at) });
  return { topic: TOPICS.tasks, key: taskHash, value: encodeTopicMessage(TOPICS.tasks, message) };
}

export function submissionRecord(taskHash: string, submission: Submission): OutgoingRecord {
  return { topic: TOPICS.submissions, key: taskHash, value: encodeTopicMessage(TOPICS.submissions, submission) };
}

export function disputeOpenedRecord(
  taskHash: string,
  submission: Submission,
  openedBy: Address,
  rewardPool: bigint,
  windowEndsAt: number,
): OutgoingRecord {
  const message = createTopicMessage(TOPICS.disputes, {
    event: {
      case: 'opened',
      value: {
        disputeId: submission.result?.digest ?? new Uint8Array(),
        submission,
        openedBy: addressToWire(openedBy),
        rewardPool: rewardPool.toString(),
        windowEndsAt: timestampFromMs(windowEndsAt),
      },
    },
  });
  return { topic: TOPICS.disputes, key: taskHash, value: encodeTopicMessage(TOPICS.disputes, message) };
}

export function disputeResolvedRecord(
  taskHash: string,
  disputeId: string,
  upheld: boolean,
  liquidated: readonly Address[],
  winners: readonly Address[],
  at: number,
): OutgoingRecord {
  const message = createTopicMessage(TOPICS.disputes, {
    event: {
      case: 'resolved',
      value: {
        disputeId: hash32(disputeId, 'disputeId'),
        taskHash: hash32(taskHash, 'taskHash'),
        resultUpheld: upheld,
        liquidated: liquidated.map(addressToWire),
        winners: winners.map(addressToWire),
        resolvedAt: timestampFromMs(at),
      },
    },
  });
  return { topic: TOPICS.disputes, key: taskHash, value: encodeTopicMessage(TOPICS.disputes, message) };
}
