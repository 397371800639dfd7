import type { Submission } from '@aegis/contracts';

/**
 * Where a verdict's submission comes from when the cache has none (after a restart the cache is
 * empty and the submissions topic may have been compacted past it): the tallier's
 * SubmissionQuery.GetSubmission over gRPC in production, a fake in tests.
 */
export interface SubmissionLookup {
  /** The submission with `submissionId` (0x digest) as announced, and whether it is disputed; undefined if the tallier has none. */
  getSubmission(submissionId: string): Promise<{ submission: Submission; disputed: boolean } | undefined>;
  /** Releases a connection, if it holds one (called when the module stops). */
  close?(): void;
}
