import { Injectable } from '@nestjs/common';
import { TaskStatus } from '@aegis/contracts';
import { TasksRepository, type StatusChange } from '../tasks/tasks.repository';
import { QUEUED_SEQUENCE } from '../tasks/tasks.service';
import { StatusNotifier } from './status.notifier';

@Injectable()
export class TaskStatusService {
  constructor(
    private readonly tasks: TasksRepository,
    private readonly notifier: StatusNotifier,
  ) {}

  /**
   * Stores the change (idempotent) and wakes this replica's watchers even when another replica
   * stored it first: each replica has its own watchers. Watchers drop duplicates themselves.
   */
  async record(change: StatusChange): Promise<void> {
    // Ingress's own first change (QUEUED, sequence 1) was stored with its task, in the statement
    // whose outbox published it: there is nothing to append, only watchers to wake.
    const own = change.status === TaskStatus.QUEUED && change.sequence === QUEUED_SEQUENCE;
    if (!own) await this.tasks.appendStatus(change);
    this.notifier.notify(change);
  }
}
