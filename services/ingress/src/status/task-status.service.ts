import { Injectable } from '@nestjs/common';
import { TasksRepository, type StatusChange } from '../tasks/tasks.repository';
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
    await this.tasks.appendStatus(change);
    this.notifier.notify(change);
  }
}
