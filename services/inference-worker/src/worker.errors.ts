import { AegisError } from '@aegis/protocol';

/** Why a worker cannot work a task right now; `field` names the input or state at fault. */
export enum WorkerErrorCode {
  /** None of the node keys this process holds is active (liquidated, unstaked, or not staked yet). */
  NO_ACTIVE_KEY = 'NO_ACTIVE_KEY',
}

export class WorkerError extends AegisError<WorkerErrorCode> {
  override readonly name = 'WorkerError';
  declare readonly field: string;

  constructor(code: WorkerErrorCode, field: string, message: string) {
    // A key may become active again (staked, unfrozen): the task goes back and is retried elsewhere.
    super(code, 'precondition', `${field}: ${message}`, { field, retryable: true });
  }
}

export const noActiveKey = (addresses: readonly string[]): WorkerError =>
  new WorkerError(WorkerErrorCode.NO_ACTIVE_KEY, 'keys', `none of ${addresses.join(', ')} is active`);
