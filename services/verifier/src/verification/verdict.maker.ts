import { proveVerdict, TeacherForcedPass, verifySubmission, type ModelRuntime } from '@aegis/model';
import { type NodeKey, type SignedResult, type SignedVerdict, type TaskSpec, toHex, VerdictKind } from '@aegis/protocol';
import type { Logger } from 'pino';

/** One submission as the verifier decoded it. */
export interface VerificationWork {
  readonly signed: SignedResult;
  readonly spec: TaskSpec;
}

export interface MadeVerdict {
  readonly verdict: SignedVerdict;
  /** Why a REJECT rejects ('' for ACCEPT), carried in the verdict event. */
  readonly reason: string;
}

/**
 * What turns a submission into signed verdicts, one per key of this process that must verify.
 * The verifier ships one implementation, teacher-forced verification (`TeacherForcedVerdicts`);
 * the devnet plugs lazy verifiers in here (libs/devnet/src/cheats), so production has no switch.
 */
export interface VerdictMaker {
  verdicts(work: VerificationWork, keys: readonly NodeKey[]): Promise<MadeVerdict[]>;
}

export type VerdictMakerFactory = (runtime: ModelRuntime) => VerdictMaker;

/** The honest verifier: one teacher-forced pass serves every key; each key grinds its own PoW. */
export class TeacherForcedVerdicts implements VerdictMaker {
  constructor(
    private readonly runtime: ModelRuntime,
    private readonly logger: Logger,
  ) {}

  async verdicts(work: VerificationWork, keys: readonly NodeKey[]): Promise<MadeVerdict[]> {
    const report = await verifySubmission(this.runtime, work.spec, work.signed);
    const pass = report.pass ?? (await this.fallbackPass(work));
    if (pass === null) {
      // Nothing to grind on (the output cannot even be fed to the model): no verdict can carry a PoW.
      this.logger.warn({ digest: toHex(work.signed.digest), reasons: report.reasons }, 'submission cannot be run; no verdict');
      return [];
    }
    const reason = report.verdict === VerdictKind.REJECT ? (report.reasons[0]?.detail ?? 'rejected') : '';
    return keys.map((key) => ({ verdict: proveVerdict(this.runtime.descriptor, pass, work.signed, report.verdict, key).verdict, reason }));
  }

  /** Shape rejects (e.g. probes at another node's positions) still get a pass when the tokens fit the model. */
  private async fallbackPass(work: VerificationWork): Promise<TeacherForcedPass | null> {
    const { tokens } = work.signed.result;
    const d = this.runtime.descriptor;
    const fits =
      tokens.length >= 1 &&
      tokens.every((t) => Number.isInteger(t) && t >= 0 && t < d.vocabSize) &&
      work.spec.promptTokens.length + tokens.length <= d.contextLength;
    return fits ? TeacherForcedPass.run(this.runtime, work.spec.promptTokens, tokens) : null;
  }
}
