import { Injectable } from '@nestjs/common';
import { beaconFromWire, type DisputeEvent, signedResultFromWire, type Submission } from '@aegis/contracts';
import type { TeacherForcedPass } from '@aegis/model';
import { type SignedResult, type TaskSpec, toHex } from '@aegis/protocol';

export interface CachedSubmission {
  readonly signed: SignedResult;
  readonly spec: TaskSpec;
  readonly beacon: Uint8Array;
  readonly k: number;
  disputed: boolean;
  /** One recomputation per submission audits all its verdicts. */
  pass?: Promise<TeacherForcedPass>;
}

const CAPACITY = 5_000;

/** Submissions by digest, fed by aegis.submissions.v1 and aegis.disputes.v1; oldest evicted first. */
@Injectable()
export class SubmissionCache {
  private readonly entries = new Map<string, CachedSubmission>();

  addSubmission(s: Submission): void {
    if (!s.result) return;
    const { signed, spec } = signedResultFromWire(s.result);
    const id = toHex(signed.digest);
    if (this.entries.has(id)) return;
    this.entries.set(id, { signed, spec, beacon: beaconFromWire(s.beacon).value, k: s.verifiersPerTask, disputed: false });
    if (this.entries.size > CAPACITY) this.entries.delete(this.entries.keys().next().value as string);
  }

  addDispute(e: DisputeEvent): void {
    if (e.event.case !== 'opened' || !e.event.value.submission) return;
    this.addSubmission(e.event.value.submission);
    const entry = this.entries.get(toHex(e.event.value.disputeId));
    if (entry) entry.disputed = true;
  }

  get(digest: string): CachedSubmission | undefined {
    return this.entries.get(digest);
  }
}
