import { TaskStatus } from '@aegis/contracts';
import pino from 'pino';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { IngressConfig } from '../ingress.config';
import type { LedgerClient } from '../ledger/ledger.client';
import { ModelCatalog } from '../models/model.catalog';
import { StatusNotifier } from '../status/status.notifier';
import { TasksRepository, type PendingRecord, type StatusChange, type StoredTask } from './tasks.repository';
import { TasksService } from './tasks.service';

const HASH = `0x${'11'.repeat(32)}`;
const change = (status: TaskStatus, sequence: bigint): StatusChange => ({
  taskHash: HASH,
  status,
  sequence,
  node: null,
  detail: '',
  changedAt: new Date(0),
});

/** History served by a promise the test resolves, so live changes can arrive while it is read. */
class ControlledRepository extends TasksRepository {
  release!: (history: StatusChange[]) => void;
  private readonly historyRead = new Promise<StatusChange[]>((resolve) => (this.release = resolve));
  async find(): Promise<StoredTask> {
    return {
      taskHash: HASH,
      modelId: 'm',
      spec: new Uint8Array(),
      client: `0x${'22'.repeat(20)}`,
      fee: 1n,
      status: TaskStatus.QUEUED,
      outputTokens: [],
      submittedAt: new Date(0),
    };
  }
  history(): Promise<StatusChange[]> {
    return this.historyRead;
  }
  async insertTask(): Promise<{ created: boolean; pending: PendingRecord[] }> {
    throw new Error('not used');
  }
  async appendStatus(): Promise<void> {}
  async unsent(): Promise<PendingRecord[]> {
    return [];
  }
  async markSent(): Promise<void> {}
  async claimStale(): Promise<StoredTask[]> {
    return [];
  }
  async close(): Promise<void> {}
}

describe('TasksService.watch', () => {
  const config: IngressConfig = {
    taskFee: 1n,
    maxPromptTokens: undefined,
    instanceId: 't',
    relayIntervalMs: 1000,
    relayMinAgeMs: 0,
    requeueAfterMs: 1000,
  };
  const make = () => {
    const repository = new ControlledRepository();
    const notifier = new StatusNotifier();
    const sut = new TasksService(
      repository,
      {} as LedgerClient,
      notifier,
      {} as never,
      new ModelCatalog([]),
      config,
      pino({ level: 'silent' }),
    );
    return { sut, repository, notifier };
  };

  it('streams history, then changes that arrived meanwhile, each once, in sequence order, and ends at a final status', async () => {
    const { sut, repository, notifier } = make();
    const all = firstValueFrom(sut.watch(HASH).pipe(toArray()));
    // Arrive while the history is being read, out of order and with a duplicate of the history.
    notifier.notify(change(TaskStatus.VERIFYING, 3n));
    notifier.notify(change(TaskStatus.SUBMITTED, 2n));
    notifier.notify(change(TaskStatus.QUEUED, 1n));
    repository.release([change(TaskStatus.QUEUED, 1n)]);
    await new Promise((r) => setImmediate(r));
    notifier.notify(change(TaskStatus.VERIFYING, 3n));
    notifier.notify(change(TaskStatus.ACCEPTED, 4n));
    notifier.notify(change(TaskStatus.DISPUTED, 5n)); // after the end: not seen
    const seen = (await all).map((c) => c.status);
    expect(seen).toEqual([TaskStatus.QUEUED, TaskStatus.SUBMITTED, TaskStatus.VERIFYING, TaskStatus.ACCEPTED]);
    expect(notifier.watchers()).toBe(0);
  });

  it('a watcher that leaves stops listening', async () => {
    const { sut, notifier } = make();
    const subscription = sut.watch(HASH).subscribe();
    expect(notifier.watchers()).toBe(1);
    subscription.unsubscribe();
    expect(notifier.watchers()).toBe(0);
  });
});
