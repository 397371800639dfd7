import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { PoisonMessageError, type BusRecord } from '@aegis/bus';
import { ContractsError, decodeTopicMessage, TaskStatus, TOPICS, type TaskStatusChanged } from '@aegis/contracts';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { StatusChange } from '../tasks/tasks.repository';
import { TaskStatusService } from './task-status.service';

/** aegis.task-status.v1, in this replica's own group: every replica serves every watcher. */
@Controller()
export class TaskStatusController {
  constructor(private readonly statuses: TaskStatusService) {}

  @EventPattern(TOPICS.taskStatus)
  async onStatus(@Payload() record: BusRecord): Promise<void> {
    let message: TaskStatusChanged;
    try {
      message = decodeTopicMessage(TOPICS.taskStatus, record.value);
    } catch (err) {
      if (err instanceof ContractsError) throw new PoisonMessageError('undecodable', err.field, err.message, { cause: err });
      throw err;
    }
    await this.statuses.record(statusChangeFrom(message, record.timestamp));
  }
}

export function statusChangeFrom(m: TaskStatusChanged, fallbackMs: number): StatusChange {
  if (m.taskHash.length !== 32) throw new PoisonMessageError('invalid', 'task_hash', 'must be 32 bytes');
  if (m.node.length !== 0 && m.node.length !== 20) throw new PoisonMessageError('invalid', 'node', 'must be empty or 20 bytes');
  if (!(m.status in TaskStatus) || m.status === TaskStatus.UNSPECIFIED)
    throw new PoisonMessageError('invalid', 'status', `unknown status ${m.status}`);
  if (m.sequence === 0n) throw new PoisonMessageError('invalid', 'sequence', 'must be >= 1');
  return {
    taskHash: `0x${Buffer.from(m.taskHash).toString('hex')}`,
    sequence: m.sequence,
    status: m.status,
    node: m.node.length === 20 ? `0x${Buffer.from(m.node).toString('hex')}` : null,
    detail: m.detail.slice(0, 2000),
    changedAt: m.changedAt ? timestampDate(m.changedAt) : new Date(fallbackMs),
    outputTokens: m.outputTokens,
  };
}
