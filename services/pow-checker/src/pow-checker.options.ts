import type { ModelRuntime } from '@aegis/model';
import type { Address } from '@aegis/protocol';

export interface PowCheckerOptions {
  readonly runtime: ModelRuntime;
  /** Share of verdicts outside disputes whose values are recomputed (main.ts: requiredAuditShare, or AEGIS_AUDIT_SHARE if larger). */
  readonly auditShare: number;
  /** Stable per replica: names this process's own submission-cache group. */
  readonly instanceId: string;
  /**
   * Keys the audit choice (AEGIS_AUDIT_SECRET, >= 32 bytes) so verifiers cannot predict it; see
   * AuditSampler. Required by main.ts; absent (harnesses), a random per-process secret is used.
   */
  readonly auditSecret?: Uint8Array;
  /**
   * The control plane's address (AEGIS_CONTROL_ADDRESS): Submissions whose beacon it did not sign
   * are dead-lettered. Required by main.ts; optional here only for harnesses that predate it.
   */
  readonly controlAddress?: Address;
}
