export const WORKER_OPTIONS = Symbol('inference-worker.OPTIONS');
export const WORKER_STAKE_VIEW = Symbol('inference-worker.STAKE_VIEW');
/** A worker's FAILED status is the task's second status, after ingress's QUEUED (sequence 1). */
export const FAILED_STATUS_SEQUENCE = 2;
