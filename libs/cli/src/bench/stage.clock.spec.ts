import { InProcessEventBus } from '@aegis/bus';
import { ALL_TOPICS, createTopicMessage, encodeTopicMessage, TaskStatus, TOPICS } from '@aegis/contracts';
import { DevnetMonitor } from '@aegis/devnet';
import { waitFor } from '@aegis/testing';
import { describe, expect, it } from 'vitest';
import { StageClock } from './stage.clock';

describe('StageClock', () => {
  it('times each pair of consecutive statuses, skipping absent ones, and rates tasks leaving each stage', () => {
    const sut = new StageClock();
    // Three tasks, 1 s apart; each takes 100 ms in ingress, 200 ms to SUBMITTED, 1 s to final.
    for (let i = 0; i < 3; i++) {
      const task = `0x${String(i).padStart(64, '0')}`;
      const t0 = 10_000 + i * 1_000;
      sut.submitStarted(task, t0);
      sut.observe(task, TaskStatus.QUEUED, t0 + 100);
      sut.observe(task, TaskStatus.SUBMITTED, t0 + 300);
      sut.observe(task, TaskStatus.SUBMITTED, t0 + 900); // a redelivery: the first one counts
      sut.observe(task, i === 2 ? TaskStatus.REJECTED : TaskStatus.ACCEPTED, t0 + 1_300);
    }
    const figures = Object.entries(sut.figures()).map(([name, f]) => [name.replace(/ \(.*\)$/, ''), f]);
    expect(figures).toEqual([
      ['submit call -> QUEUED', { tasks: 3, p50Ms: 100, p95Ms: 100, perSecond: 1 }],
      ['QUEUED -> SUBMITTED', { tasks: 3, p50Ms: 200, p95Ms: 200, perSecond: 1 }],
      ['SUBMITTED -> final', { tasks: 3, p50Ms: 1_000, p95Ms: 1_000, perSecond: 1 }],
    ]);
  });

  it('starts at the first status seen when no submit call was recorded, skipping statuses never published', () => {
    const sut = new StageClock();
    sut.observe('0xa', TaskStatus.QUEUED, 5);
    sut.observe('0xa', TaskStatus.VERIFYING, 25);
    expect(Object.keys(sut.figures()).map((n) => n.replace(/ \(.*\)$/, ''))).toEqual(['QUEUED -> VERIFYING']);
    expect(Object.values(sut.figures())[0]).toMatchObject({ tasks: 1, p50Ms: 20, perSecond: 0 });
  });

  it('counts only the tasks asked for (the measured ones, not a warm-up)', () => {
    const sut = new StageClock();
    sut.submitStarted('0xwarm', 0);
    sut.observe('0xwarm', TaskStatus.QUEUED, 900);
    sut.submitStarted('0xrun', 1_000);
    sut.observe('0xrun', TaskStatus.QUEUED, 1_050);
    expect(Object.values(sut.figures(new Set(['0xrun'])))).toEqual([{ tasks: 1, p50Ms: 50, p95Ms: 50, perSecond: 0 }]);
    expect(Object.values(sut.figures())[0]).toMatchObject({ tasks: 2 });
  });

  it('follows the status changes its monitor folds, timed at their append, and stops following', async () => {
    const bus = new InProcessEventBus({ topics: ALL_TOPICS });
    const monitor = new DevnetMonitor();
    const sut = new StageClock();
    sut.follow(monitor);
    await monitor.start(bus, 'stage-clock-test');
    const hash = Buffer.alloc(32, 7);
    const key = `0x${hash.toString('hex')}`;
    const publish = (status: TaskStatus, sequence: bigint) =>
      bus.publish(
        TOPICS.taskStatus,
        key,
        encodeTopicMessage(TOPICS.taskStatus, createTopicMessage(TOPICS.taskStatus, { taskHash: hash, status, sequence })),
      );
    await publish(TaskStatus.QUEUED, 1n);
    await publish(TaskStatus.SUBMITTED, 2n);
    await waitFor('both changes folded', () => Object.keys(sut.figures()).length === 1);
    expect(Object.keys(sut.figures()).map((n) => n.replace(/ \(.*\)$/, ''))).toEqual(['QUEUED -> SUBMITTED']);
    sut.stop();
    await publish(TaskStatus.ACCEPTED, 3n);
    await waitFor('the monitor saw the final status', () => monitor.finalStatus(key) === TaskStatus.ACCEPTED);
    expect(Object.keys(sut.figures())).toHaveLength(1);
    await monitor.stop();
    await bus.close();
  });
});
