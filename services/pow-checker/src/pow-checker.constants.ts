export const CHECKER_OPTIONS = Symbol('pow-checker.OPTIONS');
export const CHECKER_STAKE_VIEW = Symbol('pow-checker.STAKE_VIEW');
/** Attempts a verdict whose submission is not cached yet is retried before it is dead-lettered. */
export const UNKNOWN_SUBMISSION_ATTEMPTS = 8;
/** Optional SubmissionLookup (the tallier's SubmissionQuery) for verdicts whose submission is not cached. */
export const CHECKER_SUBMISSION_LOOKUP = Symbol('pow-checker.SUBMISSION_LOOKUP');
