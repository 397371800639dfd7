import {
  equalBytes,
  grindPow,
  meetsDifficulty,
  type NodeKey,
  powHash,
  powPositions,
  type SignedResult,
  type SignedVerdict,
  signVerdict,
  type VerdictKind,
  verifySignedVerdict,
} from '@aegis/protocol';
import type { ModelDescriptor } from './model.descriptor';
import type { TeacherForcedPass } from './teacher-forced.pass';

export interface ProvenVerdict {
  verdict: SignedVerdict;
  tries: number;
}

/**
 * The verifier's proof of work (DESIGN 2.3): grind nonces, each a walk through the teacher-forced
 * pass's hidden states whose next read depends on the values read so far (docs/protocol.md),
 * then sign the verdict carrying (nonce, values).
 */
export function proveVerdict(
  descriptor: ModelDescriptor,
  pass: TeacherForcedPass,
  submission: SignedResult,
  kind: VerdictKind,
  key: NodeKey,
  maxTries?: number,
): ProvenVerdict {
  const shape = pass.shape(descriptor.layers);
  const solution = grindPow(
    key.address,
    submission.digest,
    shape,
    descriptor.pow.positions,
    descriptor.pow.difficultyBits,
    (position) => pass.valueAt(position),
    maxTries,
  );
  const verdict = signVerdict(
    { submissionDigest: submission.digest, verifier: key.address, kind, nonce: solution.nonce, values: solution.values },
    key,
  );
  return { verdict, tries: solution.tries };
}

export interface PowAudit {
  ok: boolean;
  /** Why not, when !ok. */
  problem?: 'signature' | 'submission' | 'difficulty' | 'count' | 'values';
  /** Largest |v - v'| between the verdict's values and the auditor's recomputation. */
  maxDeviation: number;
}

/**
 * The PoW checker's audit of one verdict against its own teacher-forced pass over the same
 * submission (one pass audits every verdict on it): signature, target, then the values
 * themselves within the probe tolerance, so values invented without running the model fail.
 * The walk is replayed with the verdict's own values (the auditor's differ by float noise, and
 * would send the walk elsewhere); each claimed value must then match the auditor's at its place.
 */
export function auditVerdictPow(
  descriptor: ModelDescriptor,
  pass: TeacherForcedPass,
  submission: SignedResult,
  signed: SignedVerdict,
): PowAudit {
  const v = signed.verdict;
  if (!verifySignedVerdict(signed)) return { ok: false, problem: 'signature', maxDeviation: 0 };
  if (!equalBytes(v.submissionDigest, submission.digest)) return { ok: false, problem: 'submission', maxDeviation: 0 };
  if (v.values.length !== descriptor.pow.positions) return { ok: false, problem: 'count', maxDeviation: 0 };
  if (!meetsDifficulty(powHash(v.verifier, v.submissionDigest, v.nonce, v.values), descriptor.pow.difficultyBits)) {
    return { ok: false, problem: 'difficulty', maxDeviation: 0 };
  }
  const positions = powPositions(v.verifier, v.submissionDigest, v.nonce, v.values, pass.shape(descriptor.layers));
  const expected = pass.valuesAt(positions);
  let maxDeviation = 0;
  for (let i = 0; i < expected.length; i++)
    maxDeviation = Math.max(maxDeviation, Math.abs((v.values[i] as number) - (expected[i] as number)));
  return maxDeviation <= descriptor.tolerance.tol ? { ok: true, maxDeviation } : { ok: false, problem: 'values', maxDeviation };
}
