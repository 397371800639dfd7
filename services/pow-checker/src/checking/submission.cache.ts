import { Inject, Injectable, Optional } from '@nestjs/common';
import { PoisonMessageError } from '@aegis/bus';
import { verifyAnnouncedBeacon } from '@aegis/consensus';
import { beaconFromWire, type DisputeEvent, signedResultFromWire, type Submission, WireError } from '@aegis/contracts';
import type { TeacherForcedPass } from '@aegis/model';
import { type SignedResult, type TaskSpec, toHex } from '@aegis/protocol';
import { CHECKER_OPTIONS } from '../pow-checker.constants';
import type { PowCheckerOptions } from '../pow-checker.options';

export interface CachedSubmission {
  readonly signed: SignedResult;
  readonly spec: TaskSpec;
  beacon: Uint8Array;
  beaconHeight: bigint;
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

  constructor(@Optional() @Inject(CHECKER_OPTIONS) private readonly options?: Pick<PowCheckerOptions, 'controlAddress'>) {}

  /**
   * Throws PoisonMessageError for a submission that cannot be decoded or whose beacon the control
   * plane did not sign (it could hand-pick its committee). A later link for a cached submission
   * (an empty committee redrawn) replaces the beacon: eligibility is judged on the latest one.
   */
  addSubmission(s: Submission): void {
    if (!s.result) return;
    const { signed, spec, beacon } = poisonOnWireError(() => ({ ...signedResultFromWire(s.result!), beacon: beaconFromWire(s.beacon) }));
    const control = this.options?.controlAddress;
    if (control !== undefined && !verifyAnnouncedBeacon(beacon, signed.digest, control)) {
      throw new PoisonMessageError('invalid', 'beacon.signature', `is not the control plane's (${control}) link for this submission`);
    }
    const id = toHex(signed.digest);
    const existing = this.entries.get(id);
    if (existing) {
      if (beacon.height > existing.beaconHeight) {
        existing.beacon = beacon.value;
        existing.beaconHeight = beacon.height;
      }
      return;
    }
    this.entries.set(id, { signed, spec, beacon: beacon.value, beaconHeight: beacon.height, k: s.verifiersPerTask, disputed: false });
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

function poisonOnWireError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireError) throw new PoisonMessageError('invalid', e.field, e.message, { cause: e });
    throw e;
  }
}
