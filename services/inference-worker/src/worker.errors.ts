/** Why a worker cannot work a task right now; `field` names the input or state at fault. */
export enum WorkerErrorCode {
  /** None of the node keys this process holds is active (liquidated, unstaked, or not staked yet). */
  NO_ACTIVE_KEY = 'NO_ACTIVE_KEY',
}

export class WorkerError extends Error {
  constructor(
    readonly code: WorkerErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'WorkerError';
  }
}

export const noActiveKey = (addresses: readonly string[]): WorkerError =>
  new WorkerError(WorkerErrorCode.NO_ACTIVE_KEY, 'keys', `none of ${addresses.join(', ')} is active`);
