import { describe, expect, it } from 'vitest';
import { loadSummary } from './load.command';

const task = (status: string, submittedAt: number, finalAt?: number) => ({
  spec: { modelId: 'm', promptTokens: [1], maxNewTokens: 1, topK: 1, temperatureMilli: 0, stopTokens: [], nonce: 1n },
  hash: Buffer.alloc(32),
  submittedAt,
  status,
  ...(finalAt !== undefined ? { finalAt } : {}),
});

describe('loadSummary', () => {
  it('counts every task the ingress took and did not accept as lost, refusals apart', () => {
    const s = loadSummary(
      [task('TASK_STATUS_ACCEPTED', 1_000, 3_000), task('TASK_STATUS_QUEUED', 1_500), task('TASK_STATUS_REJECTED', 1_600, 2_000)],
      2,
      1_000,
    );
    expect(s).toMatchObject({ submitted: 3, refused: 2, accepted: 1, lost: 2, byStatus: { ACCEPTED: 1, QUEUED: 1, REJECTED: 1 } });
  });

  it('measures throughput from the first submission to the last acceptance', () => {
    const tasks = [1, 2, 3, 4].map((i) => task('TASK_STATUS_ACCEPTED', 0, i * 1_000));
    expect(loadSummary(tasks, 0, 0)).toMatchObject({ tasksPerSecond: 1, seconds: 4, lost: 0 });
    expect(loadSummary([], 0, 0).tasksPerSecond).toBe(0);
  });
});
