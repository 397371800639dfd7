export const INGRESS_CONFIG = Symbol('ingress.CONFIG');
export const MODEL_CATALOG = Symbol('ingress.MODEL_CATALOG');

/**
 * Partitions of aegis.task-status.v1 handled at once. Safe: a status insert is idempotent by
 * (task, status, sequence) and the task row only moves to a higher sequence, so changes of
 * different tasks commute; a task's own changes share a key, hence a partition, and stay ordered.
 */
export const STATUS_PARTITIONS_CONCURRENTLY = 8;
