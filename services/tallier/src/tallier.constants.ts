/** Injection tokens of the tallier module. */
export const TALLIER_OPTIONS = Symbol('tallier.OPTIONS');
export const TALLIER_STORE = Symbol('tallier.STORE');
export const TALLIER_CLOCK = Symbol('tallier.CLOCK');
export const TALLIER_STAKE_VIEW = Symbol('tallier.STAKE_VIEW');

/** Tallier-published task statuses start after ingress's QUEUED (sequence 1). */
export const FIRST_TALLIER_STATUS_SEQUENCE = 2;
