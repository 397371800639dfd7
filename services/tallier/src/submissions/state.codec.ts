import { type AuditFailure, type Decision, type FailedAudit, type RecordedVerdict, type SubmissionPhase, type SubmissionState, TALLY_RULES, type TallyRule } from '@aegis/consensus';
import { AegisError, isAddress, VerdictKind } from '@aegis/protocol';

/**
 * SubmissionState <-> JSON for the jsonb column. bigint becomes a decimal string; decoding checks
 * every field, so a row edited by hand cannot feed the state machine something it never made.
 */
export type StateJson = Omit<SubmissionState, 'fee'> & { fee: string };

const AUDIT_FAILURES: readonly AuditFailure[] = ['pow-failed', 'audit-failed'];
const PHASES: readonly SubmissionPhase[] = ['pending', 'accepted-fast', 'disputed', 'undecided-extended', 'decided'];

export function stateToJson(s: SubmissionState): StateJson {
  return { ...s, fee: s.fee.toString() };
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
  const str = (k: string): string => (typeof o[k] === 'string' && (o[k] as string).length > 0 ? (o[k] as string) : fail(k, 'must be a string'));
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
  const failedRaw = o.failedAudits ?? [];
  if (!Array.isArray(failedRaw)) fail('failedAudits', 'must be an array');
  const failedAudits: FailedAudit[] = (failedRaw as unknown[]).map((v, i) => {
    const r = v as Record<string, unknown>;
    if (!isAddress(r.verifier)) fail(`failedAudits[${i}].verifier`, 'must be an address');
    if (!AUDIT_FAILURES.includes(r.failure as AuditFailure)) fail(`failedAudits[${i}].failure`, 'must be pow-failed or audit-failed');
    if (typeof r.disputeId !== 'string' || !/^0x[0-9a-f]{64}$/.test(r.disputeId)) fail(`failedAudits[${i}].disputeId`, 'must be 32-byte hex');
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
      final: d.final === undefined ? false : d.final === true ? true : d.final === false ? false : fail('decision.final', 'must be a boolean'),
    };
  }
  if (typeof o.disputeOpen !== 'boolean') fail('disputeOpen', 'must be a boolean');
  // Rows written before the stake tally existed carry no rule: they were opened under the spec's.
  const tally = o.tally ?? 'spec';
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
    widened: o.widened === undefined ? int(o.extensions, 'extensions') > 0 : typeof o.widened === 'boolean' ? o.widened : fail('widened', 'must be a boolean'),
    disputeOpen: o.disputeOpen,
    verdicts,
    failedAudits,
    lastEventAt: int(o.lastEventAt, 'lastEventAt'),
    decision,
  };
}
