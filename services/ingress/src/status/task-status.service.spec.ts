import { TaskStatus } from '@aegis/contracts';
import { describe, expect, it, vi } from 'vitest';
import type { StatusChange, TasksRepository } from '../tasks/tasks.repository';
import { StatusNotifier } from './status.notifier';
import { TaskStatusService } from './task-status.service';

const change = (status: TaskStatus, sequence: bigint): StatusChange => ({
  taskHash: `0x${'ab'.repeat(32)}`,
  status,
  sequence,
  node: null,
  detail: '',
  changedAt: new Date(0),
});

describe('TaskStatusService.record', () => {
  it("appends every change but ingress's own QUEUED (stored with its task), and wakes watchers for all", async () => {
    const appendStatus = vi.fn(async (_change: StatusChange) => undefined);
    const notifier = new StatusNotifier();
    const woken: [TaskStatus, bigint][] = [];
    notifier.listen(`0x${'ab'.repeat(32)}`, (c) => woken.push([c.status, c.sequence]));
    const sut = new TaskStatusService({ appendStatus } as unknown as TasksRepository, notifier);
    // QUEUED 1 is ingress's own; QUEUED 3 is the tallier re-offering the task after a refused result.
    for (const c of [change(TaskStatus.QUEUED, 1n), change(TaskStatus.SUBMITTED, 2n), change(TaskStatus.QUEUED, 3n)]) await sut.record(c);
    expect(appendStatus.mock.calls.map(([c]) => [c.status, c.sequence])).toEqual([
      [TaskStatus.SUBMITTED, 2n],
      [TaskStatus.QUEUED, 3n],
    ]);
    expect(woken).toEqual([
      [TaskStatus.QUEUED, 1n],
      [TaskStatus.SUBMITTED, 2n],
      [TaskStatus.QUEUED, 3n],
    ]);
  });
});
