import { CONSUMER_GROUPS } from '@aegis/contracts';

/** Injection tokens of the tallier module. */
export const TALLIER_OPTIONS = Symbol('tallier.OPTIONS');
export const TALLIER_STORE = Symbol('tallier.STORE');
export const TALLIER_CLOCK = Symbol('tallier.CLOCK');
export const TALLIER_STAKE_VIEW = Symbol('tallier.STAKE_VIEW');

/** Tallier-published task statuses start after ingress's QUEUED (sequence 1). */
export const FIRST_TALLIER_STATUS_SEQUENCE = 2;

/**
 * Partitions of aegis.results.v1 / aegis.checked-verdicts.v1 handled at once. Safe: a task's
 * records share a key, hence a partition, and stay in order; different tasks only meet at the
 * beacon-head lock (taken last, just before the append) and at submission row locks.
 */
export const TALLIER_PARTITIONS_CONCURRENTLY = 8;

/**
 * The tallier's subscription (results, checked verdicts), wherever it runs. Key-ordered: a task's
 * records stay in order and the tallier promises nothing across tasks, so the records of a fetch
 * are handled together and results that arrive together are recorded as one batch (one beacon
 * lock, one COMMIT) instead of one per partition in flight.
 */
export const TALLIER_CONSUMER = { groupId: CONSUMER_GROUPS.tallier, ordering: 'key' } as const;
