/**
 * What share of verdicts outside disputes the PoW checker must audit (docs/protocol.md, "How
 * many verdicts to audit").
 *
 * With the walk-bound PoW a verifier has two ways to earn a proof without the pass: read a
 * partial pass and grind for walks that stay inside it (costs more than the honest pass at the
 * shipped parameters, and such a verdict passes any audit), or invent at least one value (as
 * cheap as hashing, and caught by every audit, since the audit compares every value). Audits
 * exist for the second. A verifier that invents every verdict saves at most what one honest
 * verification is worth per verdict, bounded by the task fee (nobody verifies at a loss), and
 * loses its whole stake (at least the minimum stake) the first time it is audited. Caught with
 * probability `share` per verdict, it gets away with 1/share verdicts on average, so inventing
 * does not pay when  share >= fee / minStake;  `safetyFactor` multiplies that. Independently a
 * verifier that invents every verdict should be caught within `detectWithin` verdicts except with
 * probability `missProbability`:  (1 - share)^detectWithin <= missProbability.
 */
export interface AuditShareInputs {
  /** Most a verdict can save its verifier (base units): the task fee (AEGIS_TASK_FEE). */
  readonly maxSavedPerVerdict: bigint;
  /** Least stake a caught verifier loses (base units): the minimum stake (AEGIS_MIN_STAKE). */
  readonly minStake: bigint;
  /** Required ratio of expected loss to gain (AEGIS_AUDIT_SAFETY_FACTOR). */
  readonly safetyFactor: number;
  /** Verdicts within which a verifier inventing all of them is caught (AEGIS_AUDIT_DETECT_WITHIN). */
  readonly detectWithin: number;
  /** ... except with this probability (AEGIS_AUDIT_MISS_PROBABILITY). */
  readonly missProbability: number;
}

export interface AuditShare {
  /** The share to audit: the larger bound, at most 1. */
  readonly share: number;
  /** safetyFactor * maxSavedPerVerdict / minStake. */
  readonly deterrence: number;
  /** 1 - missProbability^(1 / detectWithin). */
  readonly detection: number;
}

/** Defaults: a verifier's expected loss twice its gain; one inventing every verdict caught within 100 verdicts but for 1e-6. */
export const DEFAULT_AUDIT_SHARE_POLICY = { safetyFactor: 2, detectWithin: 100, missProbability: 1e-6 } as const;

export function requiredAuditShare(inputs: AuditShareInputs): AuditShare {
  const { maxSavedPerVerdict, minStake, safetyFactor, detectWithin, missProbability } = inputs;
  if (typeof maxSavedPerVerdict !== 'bigint' || maxSavedPerVerdict < 0n)
    throw new RangeError('maxSavedPerVerdict: must be a non-negative bigint');
  if (typeof minStake !== 'bigint' || minStake < 0n) throw new RangeError('minStake: must be a non-negative bigint');
  if (!(Number.isFinite(safetyFactor) && safetyFactor >= 1)) throw new RangeError('safetyFactor: must be a finite number >= 1');
  if (!(Number.isInteger(detectWithin) && detectWithin >= 1)) throw new RangeError('detectWithin: must be a positive integer');
  if (!(missProbability > 0 && missProbability < 1)) throw new RangeError('missProbability: must be in (0, 1)');
  // The ratio of two bigints as a float: exact enough for a share (both are far below 2^53 in practice).
  // No stake at risk: nothing deters but the audit itself, so every verdict is audited.
  const deterrence = minStake === 0n ? Infinity : (safetyFactor * Number(maxSavedPerVerdict)) / Number(minStake);
  const detection = -Math.expm1(Math.log(missProbability) / detectWithin);
  return { share: Math.min(1, Math.max(deterrence, detection)), deterrence, detection };
}

/**
 * The share the checker runs with: the required one, or an operator's explicit share
 * (AEGIS_AUDIT_SHARE) if it is at least that; a lower one is refused, naming the variable.
 */
export function chooseAuditShare(required: AuditShare, explicit?: number, field = 'AEGIS_AUDIT_SHARE'): number {
  if (explicit === undefined) return required.share;
  if (!(explicit >= 0 && explicit <= 1)) throw new RangeError(`${field}: must be in [0, 1]`);
  if (explicit < required.share) {
    throw new RangeError(
      `${field}: ${explicit} is below the required ${required.share.toFixed(4)} (deterrence ${required.deterrence.toFixed(4)}, detection ${required.detection.toFixed(4)}; docs/protocol.md)`,
    );
  }
  return explicit;
}
