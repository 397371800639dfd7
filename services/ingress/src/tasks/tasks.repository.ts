import type { OutgoingRecord } from '@aegis/bus';
import type { TaskStatus } from '@aegis/contracts';

/** A stored task, as GetTask reports it. `spec` is the protobuf TaskSpec bytes the hash covers. */
export interface StoredTask {
  readonly taskHash: string;
  readonly modelId: string;
  readonly spec: Uint8Array;
  readonly client: string;
  readonly fee: bigint;
  readonly status: TaskStatus;
  readonly outputTokens: readonly number[];
  readonly submittedAt: Date;
}

export interface StatusChange {
  readonly taskHash: string;
  readonly sequence: bigint;
  readonly status: TaskStatus;
  /** 0x address or null. */
  readonly node: string | null;
  readonly detail: string;
  readonly changedAt: Date;
  /** Set with ACCEPTED. */
  readonly outputTokens?: readonly number[];
}

export interface PendingRecord extends OutgoingRecord {
  readonly id: string;
}

/** All ingress I/O on its own schema. */
export abstract class TasksRepository {
  abstract find(taskHash: string): Promise<StoredTask | undefined>;
  /**
   * In ONE transaction: the task, its first status and its outbox records. When the task exists
   * already (a resubmission, or a race with one), nothing is written and `created` is false.
   */
  abstract insertTask(
    task: StoredTask,
    first: StatusChange,
    outbox: readonly OutgoingRecord[],
  ): Promise<{ created: boolean; pending: PendingRecord[] }>;
  /**
   * Appends a status change once per (task, status, sequence) and moves the task's current
   * status forward when the sequence is newer. Idempotent; a change for an unknown task is dropped.
   */
  abstract appendStatus(change: StatusChange): Promise<void>;
  /** Status changes, oldest first (by sequence, then arrival). */
  abstract history(taskHash: string): Promise<StatusChange[]>;
  /** Outbox rows not marked sent, created at least `minAgeMs` ago, oldest first. */
  abstract unsent(minAgeMs: number, limit: number): Promise<PendingRecord[]>;
  abstract markSent(ids: readonly string[]): Promise<void>;
  /**
   * Tasks still QUEUED or SUBMITTED with no activity for `idleMs` (their worker died, or their
   * result was refused): marks them re-offered now and returns them, oldest first.
   */
  abstract claimStale(idleMs: number, limit: number): Promise<StoredTask[]>;
  abstract close(): Promise<void>;
}
