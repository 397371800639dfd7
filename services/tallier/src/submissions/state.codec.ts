import {
  type AuditFailure,
  type Decision,
  type FailedAudit,
  type RecordedVerdict,
  type SubmissionPhase,
  type SubmissionState,
  TALLY_RULES,
  type TallyRule,
} from '@aegis/consensus';
import { AegisError, isAddress, VerdictKind } from '@aegis/protocol';

/**
 * SubmissionState <-> JSON for the jsonb column. bigint becomes a decimal string; decoding checks
 * every field, so a row edited by hand cannot feed the state machine something it never made.
 *
 * Every row carries the version of its shape. Version 1 is what this code writes, and reading it
 * requires every field. Rows without a version were written before versioning (version 0): fields
 * added since (failedAudits, decision.final, tally, widened) take the value they had then. Any
 * other version is refused: it was written by a newer tallier, and guessing would corrupt it.
 * Changing the shape means a new version here and its upgrade from the previous one.
 */
export const STATE_VERSION = 1;
export type StateJson = Omit<SubmissionState, 'fee'> & { fee: string; version: typeof STATE_VERSION };

const AUDIT_FAILURES: readonly AuditFailure[] = ['pow-failed', 'audit-failed'];
const PHASES: readonly SubmissionPhase[] = ['pending', 'accepted-fast', 'disputed', 'undecided-extended', 'decided'];

export function stateToJson(s: SubmissionState): StateJson {
  return { version: STATE_VERSION, ...s, fee: s.fee.toString() };
}

/** A stored state this code cannot read: a broken invariant of our own storage, never the caller's input. */
export class StateCodecError extends AegisError<'UNREADABLE_STATE'> {
  override readonly name = 'StateCodecError';
  declare readonly field: string;

  constructor(field: string, message: string) {
    super('UNREADABLE_STATE', 'internal', `${field}: ${message}`, { field });
  }
}

function fail(field: string, message: string): never {
  throw new StateCodecError(field, message);
}

function int(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(field, 'must be a safe integer');
  return v;
}

function addresses(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || !v.every(isAddress)) fail(field, 'must be an array of addresses');
  return v as string[];
}

function kind(v: unknown, field: string): VerdictKind {
  if (v !== VerdictKind.ACCEPT && v !== VerdictKind.REJECT) fail(field, 'must be ACCEPT or REJECT');
  return v;
}

export function stateFromJson(json: unknown): SubmissionState {
  if (typeof json !== 'object' || json === null) fail('state', 'must be an object');
  const o = json as Record<string, unknown>;
  if (o.version !== undefined && o.version !== STATE_VERSION)
    fail('version', `is ${JSON.stringify(o.version)}: this tallier reads state versions 0 (unversioned) and ${STATE_VERSION}`);
  const legacy = o.version === undefined;
  /** A field added after version 0: its then-value in a version-0 row, required from version 1 on. */
  const since1 = (value: unknown, field: string, then: () => unknown): unknown => {
    if (value !== undefined) return value;
    if (legacy) return then();
    return fail(field, `is missing (required from state version ${STATE_VERSION})`);
  };
  const str = (k: string): string =>
    typeof o[k] === 'string' && (o[k] as string).length > 0 ? (o[k] as string) : fail(k, 'must be a string');
  if (!/^[0-9]{1,78}$/.test(String(o.fee))) fail('fee', 'must be a decimal string');
  if (!PHASES.includes(o.phase as SubmissionPhase)) fail('phase', 'unknown phase');
  if (!isAddress(o.submitter)) fail('submitter', 'must be an address');
  if (!Array.isArray(o.verdicts)) fail('verdicts', 'must be an array');
  const verdicts: RecordedVerdict[] = (o.verdicts as unknown[]).map((v, i) => {
    const r = v as Record<string, unknown>;
    if (!isAddress(r.verifier)) fail(`verdicts[${i}].verifier`, 'must be an address');
    return { verifier: r.verifier, kind: kind(r.kind, `verdicts[${i}].kind`), at: int(r.at, `verdicts[${i}].at`) };
  });
  // Rows written before audit liquidation existed have no failedAudits: nobody was caught then.
  const failedRaw = since1(o.failedAudits, 'failedAudits', () => []);
  if (!Array.isArray(failedRaw)) fail('failedAudits', 'must be an array');
  const failedAudits: FailedAudit[] = (failedRaw as unknown[]).map((v, i) => {
    const r = v as Record<string, unknown>;
    if (!isAddress(r.verifier)) fail(`failedAudits[${i}].verifier`, 'must be an address');
    if (!AUDIT_FAILURES.includes(r.failure as AuditFailure)) fail(`failedAudits[${i}].failure`, 'must be pow-failed or audit-failed');
    if (typeof r.disputeId !== 'string' || !/^0x[0-9a-f]{64}$/.test(r.disputeId))
      fail(`failedAudits[${i}].disputeId`, 'must be 32-byte hex');
    return { verifier: r.verifier, failure: r.failure as AuditFailure, at: int(r.at, `failedAudits[${i}].at`), disputeId: r.disputeId };
  });
  let decision: Decision | null = null;
  if (o.decision !== null && o.decision !== undefined) {
    const d = o.decision as Record<string, unknown>;
    if (d.outcome !== 'accepted' && d.outcome !== 'rejected') fail('decision.outcome', 'must be accepted or rejected');
    decision = {
      outcome: d.outcome,
      winners: addresses(d.winners, 'decision.winners'),
      losers: addresses(d.losers, 'decision.losers'),
      n: int(d.n, 'decision.n'),
      m: int(d.m, 'decision.m'),
      activeNodes: int(d.activeNodes, 'decision.activeNodes'),
      decidedAt: int(d.decidedAt, 'decision.decidedAt'),
      // Decisions written before the liveness rule were all threshold decisions.
      final: ((f) => (typeof f === 'boolean' ? f : fail('decision.final', 'must be a boolean')))(
        since1(d.final, 'decision.final', () => false),
      ),
    };
  }
  if (typeof o.disputeOpen !== 'boolean') fail('disputeOpen', 'must be a boolean');
  // Rows written before the stake tally existed carry no rule: they were opened under the spec's.
  const tally = since1(o.tally, 'tally', () => 'spec');
  if (!TALLY_RULES.includes(tally as TallyRule)) fail('tally', `must be one of ${TALLY_RULES.join(', ')}`);
  return {
    submissionId: str('submissionId'),
    taskId: str('taskId'),
    submitter: o.submitter,
    tally: tally as TallyRule,
    fee: BigInt(String(o.fee)),
    selectedVerifiers: addresses(o.selectedVerifiers, 'selectedVerifiers'),
    phase: o.phase as SubmissionPhase,
    openedAt: int(o.openedAt, 'openedAt'),
    closesAt: int(o.closesAt, 'closesAt'),
    extensions: int(o.extensions, 'extensions'),
    // Rows from before the widening rule: their committee was widened exactly when they were extended.
    widened: ((w) => (typeof w === 'boolean' ? w : fail('widened', 'must be a boolean')))(
      since1(o.widened, 'widened', () => int(o.extensions, 'extensions') > 0),
    ),
    disputeOpen: o.disputeOpen,
    verdicts,
    failedAudits,
    lastEventAt: int(o.lastEventAt, 'lastEventAt'),
    decision,
  };
}
