import type { ModelRuntime } from '@aegis/model';

export interface PowCheckerOptions {
  readonly runtime: ModelRuntime;
  /** Share of verdicts outside disputes whose values are recomputed (AEGIS_AUDIT_SHARE, default 0.25). */
  readonly auditShare: number;
  /** Stable per replica: names this process's own submission-cache group. */
  readonly instanceId: string;
}
