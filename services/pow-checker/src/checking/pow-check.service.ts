import { Inject, Injectable, Optional } from '@nestjs/common';
import { type EventBus, PoisonMessageError } from '@aegis/bus';
import { isEligible } from '@aegis/consensus';
import {
  CheckOutcome,
  createTopicMessage,
  encodeTopicMessage,
  type StakeView,
  signedVerdictFromWire,
  TOPICS,
  type Verdict,
  WireError,
} from '@aegis/contracts';
import { auditVerdictPow, TeacherForcedPass } from '@aegis/model';
import { equalBytes, SignerCache, toHex, verifyPow, verifySignedVerdict } from '@aegis/protocol';
import { EVENT_BUS } from '@aegis/service-kit';
import { CHECKER_OPTIONS, CHECKER_STAKE_VIEW, CHECKER_SUBMISSION_LOOKUP, UNKNOWN_SUBMISSION_ATTEMPTS } from '../pow-checker.constants';
import { AuditSampler } from './audit.sampler';
import type { SubmissionLookup } from './submission.lookup';
import { PowCheckerMetrics } from '../pow-checker.metrics';
import type { PowCheckerOptions } from '../pow-checker.options';
import { type CachedSubmission, SubmissionCache } from './submission.cache';

export interface CheckResult {
  outcome: CheckOutcome;
  audited: boolean;
  detail: string;
}

/**
 * Checks each verdict (signature, lottery eligibility, PoW target, and for a sampled share and
 * every dispute verdict an audit of its values against a recomputation) and publishes the
 * CheckedVerdict, failures included, so the tallier can count or drop it.
 */
@Injectable()
export class PowCheckService {
  private readonly sampler: AuditSampler;
  // Verdicts come from the same staked verifiers again and again: their keys are kept.
  private readonly signers = new SignerCache();

  constructor(
    @Inject(CHECKER_OPTIONS) private readonly options: PowCheckerOptions,
    @Inject(CHECKER_STAKE_VIEW) private readonly stakes: StakeView,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly cache: SubmissionCache,
    private readonly metrics: PowCheckerMetrics,
    @Optional() @Inject(CHECKER_SUBMISSION_LOOKUP) private readonly lookup?: SubmissionLookup,
  ) {
    this.sampler = options.auditSecret
      ? new AuditSampler(options.auditSecret, options.auditShare)
      : AuditSampler.withRandomSecret(options.auditShare);
  }

  async onVerdict(message: Verdict, attempt: number): Promise<CheckResult> {
    let decoded;
    try {
      decoded = signedVerdictFromWire(message);
    } catch (e) {
      if (e instanceof WireError) throw new PoisonMessageError('invalid', e.field, e.message, { cause: e });
      throw e;
    }
    const { signed, context } = decoded;
    if (!verifySignedVerdict(signed, this.signers))
      throw new PoisonMessageError('invalid', 'signature', 'does not recover to the verifier');
    const digest = toHex(signed.verdict.submissionDigest);
    const submission = this.cache.get(digest) ?? (await this.fetch(digest));
    if (!submission) {
      // The cache is fed by another subscription and may trail this verdict by a moment.
      if (attempt < UNKNOWN_SUBMISSION_ATTEMPTS) throw new Error(`submission ${digest} not cached yet`);
      throw new PoisonMessageError('invalid', 'resultDigest', `unknown submission ${digest}`);
    }
    if (!equalBytes(submission.signed.result.taskHash, context.taskHash))
      throw new PoisonMessageError('invalid', 'taskHash', 'does not match the submission');
    const result = await this.check(submission, signed);
    const checked = createTopicMessage(TOPICS.checkedVerdicts, {
      verdict: message,
      outcome: result.outcome,
      audited: result.audited,
      detail: result.detail,
    });
    await this.bus.publish(TOPICS.checkedVerdicts, toHex(context.taskHash), encodeTopicMessage(TOPICS.checkedVerdicts, checked));
    this.metrics.verdicts.inc({ outcome: outcomeLabel(result.outcome) });
    if (result.audited) this.metrics.audits.inc({ dispute: String(submission.disputed) });
    return result;
  }

  /** Cache miss: ask the tallier (SubmissionQuery); what it returns is checked like a bus submission. */
  private async fetch(digest: string): Promise<CachedSubmission | undefined> {
    if (!this.lookup) return undefined;
    const found = await this.lookup.getSubmission(digest);
    this.metrics.lookups.inc({ found: String(found !== undefined) });
    if (!found) return undefined;
    this.cache.addSubmission(found.submission);
    const entry = this.cache.get(digest);
    if (entry && found.disputed) entry.disputed = true;
    return entry;
  }

  private async check(s: CachedSubmission, signed: ReturnType<typeof signedVerdictFromWire>['signed']): Promise<CheckResult> {
    const v = signed.verdict;
    const d = this.options.runtime.descriptor;
    const stake = this.stakes.stakeOf(v.verifier);
    const total = this.stakes.totalActiveStake();
    const eligible = s.disputed
      ? this.stakes.isActive(v.verifier)
      : this.stakes.isActive(v.verifier) && total > 0n && isEligible(v.verifier, stake, total, s.beacon, s.k);
    if (!eligible) return { outcome: CheckOutcome.NOT_ELIGIBLE, audited: false, detail: `${v.verifier} not selected by beacon` };
    if (v.values.length !== d.pow.positions || !verifyPow(v.verifier, v.submissionDigest, v.nonce, v.values, d.pow.difficultyBits)) {
      return { outcome: CheckOutcome.POW_FAILED, audited: false, detail: `hash not below the ${d.pow.difficultyBits}-bit target` };
    }
    if (!s.disputed && !this.sampler.sampled(signed.digest)) return { outcome: CheckOutcome.PASSED, audited: false, detail: '' };
    s.pass ??= TeacherForcedPass.run(this.options.runtime, s.spec.promptTokens, s.signed.result.tokens);
    const audit = auditVerdictPow(d, await s.pass, s.signed, signed);
    return audit.ok
      ? { outcome: CheckOutcome.PASSED, audited: true, detail: '' }
      : { outcome: CheckOutcome.AUDIT_FAILED, audited: true, detail: `${audit.problem ?? 'values'}: max deviation ${audit.maxDeviation}` };
  }
}

/** 'pow-failed' for CheckOutcome.POW_FAILED: the enum's own name, as a metric label. */
function outcomeLabel(outcome: CheckOutcome): string {
  return (CheckOutcome[outcome] ?? String(outcome)).toLowerCase().replace(/_/g, '-');
}
