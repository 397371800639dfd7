export const VERIFIER_OPTIONS = Symbol('verifier.OPTIONS');
export const VERIFIER_STAKE_VIEW = Symbol('verifier.STAKE_VIEW');
/** Remembered (submission, verifier) pairs already answered; older ones are forgotten first. */
export const DONE_CAPACITY = 10_000;
