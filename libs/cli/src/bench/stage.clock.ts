import { TaskStatus } from '@aegis/contracts';
import type { DevnetMonitor } from '@aegis/devnet';

/** One pipeline stage as the bench saw it: how long a task spent in it, and how fast tasks left it. */
export interface StageFigures {
  readonly tasks: number;
  /** Median time in the stage (from the previous status's append to this one's), ms. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** Tasks that reached the stage's end status per second, from the first to the last of them. */
  readonly perSecond: number;
}

/** Status changes in pipeline order; a stage is the time between a task's consecutive ones. */
const ORDER: readonly (TaskStatus | 'final')[] = [TaskStatus.QUEUED, TaskStatus.SUBMITTED, TaskStatus.VERIFYING, 'final'];
const LABEL = new Map<TaskStatus | 'final' | 'submit', string>([
  ['submit', 'submit call'],
  [TaskStatus.QUEUED, 'QUEUED'],
  [TaskStatus.SUBMITTED, 'SUBMITTED'],
  [TaskStatus.VERIFYING, 'VERIFYING'],
  ['final', 'final'],
]);
/** Which services a stage's time is spent in. */
const WHO = new Map<string, string>([
  [`submit>${TaskStatus.QUEUED}`, 'ingress + ledger escrow'],
  [`${TaskStatus.QUEUED}>${TaskStatus.SUBMITTED}`, 'worker, then tallier records the result + beacon'],
  [`${TaskStatus.SUBMITTED}>final`, 'tallier window + tally, ingress status'],
  [`${TaskStatus.SUBMITTED}>${TaskStatus.VERIFYING}`, 'verifier + pow-checker + tallier'],
  [`${TaskStatus.VERIFYING}>final`, 'verifiers, tallier window + tally'],
]);
const FINAL = new Set([TaskStatus.ACCEPTED, TaskStatus.REJECTED, TaskStatus.FAILED]);

/**
 * Per-stage timings from aegis.task-status.v1: each status change's broker append time (the
 * record timestamp, so a slow reader here does not distort them) against the previous one of the
 * same task, and the submit call's start for the first. Fed by the bench's monitor (follow), so
 * the bench consumes the status topic once.
 */
export class StageClock {
  private readonly submitted = new Map<string, number>();
  private readonly seen = new Map<string, Map<TaskStatus | 'final', number>>();
  private unfollow: (() => void) | undefined;

  /** Observes every status change `monitor` folds from now on. */
  follow(monitor: DevnetMonitor): void {
    this.unfollow = monitor.onStatus((taskHash, status, appendedAt) => this.observe(taskHash, status, appendedAt));
  }

  /** A status change appended at `at` (ms); only a task's first of each status counts. */
  observe(taskHash: string, status: TaskStatus, at: number): void {
    let times = this.seen.get(taskHash);
    if (!times) this.seen.set(taskHash, (times = new Map()));
    const key = FINAL.has(status) ? 'final' : status;
    if (!times.has(key)) times.set(key, at);
  }

  submitStarted(taskHash: string, at: number): void {
    if (!this.submitted.has(taskHash)) this.submitted.set(taskHash, at);
  }

  stop(): void {
    this.unfollow?.();
  }

  /**
   * Keyed `A -> B` for each pair of consecutive statuses a task went through ('submit call ->
   * QUEUED' is ingress; 'QUEUED -> SUBMITTED' the worker and the tallier's recording + beacon;
   * '-> final' the window and the tally), in pipeline order. `only`: just these tasks (the
   * measured ones, not a warm-up's).
   */
  figures(only?: ReadonlySet<string>): Record<string, StageFigures> {
    const spans = new Map<string, { spans: number[]; ends: number[] }>();
    for (const [task, times] of this.seen) {
      if (only && !only.has(task)) continue;
      let prev: TaskStatus | 'final' | 'submit' = 'submit';
      let prevAt = this.submitted.get(task);
      for (const status of ORDER) {
        const at = times.get(status);
        if (at === undefined) continue;
        if (prevAt !== undefined) {
          const name = `${LABEL.get(prev)} -> ${LABEL.get(status)} (${WHO.get(`${String(prev)}>${String(status)}`) ?? 'several services'})`;
          let entry = spans.get(name);
          if (!entry) spans.set(name, (entry = { spans: [], ends: [] }));
          entry.spans.push(Math.max(0, at - prevAt));
          entry.ends.push(at);
        }
        prev = status;
        prevAt = at;
      }
    }
    const rank = (name: string): number => [...LABEL.values()].indexOf(name.split(' -> ')[0] ?? '');
    const out: Record<string, StageFigures> = {};
    for (const [name, entry] of [...spans].sort((a, b) => rank(a[0]) - rank(b[0]))) {
      const sorted = entry.spans.sort((a, b) => a - b);
      const ends = entry.ends.sort((a, b) => a - b);
      const window = ends.length > 1 ? ((ends.at(-1) ?? 0) - (ends[0] ?? 0)) / 1000 : 0;
      out[name] = {
        tasks: sorted.length,
        p50Ms: quantile(sorted, 0.5),
        p95Ms: quantile(sorted, 0.95),
        perSecond: window > 0 ? Math.round(((ends.length - 1) / window) * 10) / 10 : 0,
      };
    }
    return out;
  }
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
