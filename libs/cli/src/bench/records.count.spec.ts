import { describe, expect, it } from 'vitest';
import { recordsPerTask } from './records.count';

describe('recordsPerTask', () => {
  it('divides what each topic gained by the task count and leaves out topics that gained nothing', () => {
    const before = new Map([
      ['tasks', 10n],
      ['statuses', 0n],
      ['idle', 7n],
    ]);
    const after = new Map([
      ['tasks', 110n],
      ['statuses', 300n],
      ['idle', 7n],
      ['new', 50n],
    ]);
    expect(recordsPerTask(before, after, 100)).toEqual({ total: 4.5, byTopic: { tasks: 1, statuses: 3, new: 0.5 } });
  });

  it('reports counts as they are when no task completed, instead of dividing by zero', () => {
    expect(recordsPerTask(new Map(), new Map([['t', 3n]]), 0)).toEqual({ total: 3, byTopic: { t: 3 } });
  });
});
