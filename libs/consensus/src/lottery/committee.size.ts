import { ConsensusErrorCode, invalid } from '../consensus.errors';

/**
 * The committee size k follows from the risk the network accepts, not from habit.
 *
 * A wrong result is finalised without a dispute only when no honest member of its committee
 * answers (docs/consensus.md, "Committee size from a bound"). The lottery gives each node V its
 * own independent ticket with P(V selected) = min(1, k s_V / S), so with honest stake share h:
 *
 *   P(no honest member) = prod_{V honest} (1 - min(1, k s_V / S)) <= prod exp(-k s_V / S) = exp(-k h)
 *
 * (1 - x <= e^-x), whatever the stake distribution. Redraws of an empty committee only repeat a
 * draw that already had no honest member, which multiplies this by at most 1 / (1 - e^-k).
 * So for a bound `eps` on that probability per task, at the largest attacker share a the network
 * is designed for (h = 1 - a):
 *
 *   k = ceil(ln(1 / eps) / (1 - a))
 *
 * This is per task, whoever submitted: it does not count on the attacker submitting few tasks or
 * cheating rarely, so it holds for stake-splitting attackers (who get more tasks) and a wrong rate
 * of 1. The formula (share)^k of a draw of k seats by stake does not apply: this lottery's committee
 * is a sum of independent coins (about Poisson(k)), and its honest part is empty with e^{-k h}, more
 * often than a^k (at a = 1/3, a^k = e^{-1.10 k} against e^{-0.67 k}).
 */
export function committeeSizeFor(bound: number, attackerShare: number): number {
  if (!Number.isFinite(bound) || bound <= 0 || bound >= 1)
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'bound', 'must be a probability in (0, 1)');
  if (!Number.isFinite(attackerShare) || attackerShare < 0 || attackerShare >= 1) {
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'attackerShare', 'must be a share in [0, 1)');
  }
  // Start at the closed form (which ignores the redraw factor) and step up until the full bound holds.
  let k = Math.max(1, Math.ceil(Math.log(1 / bound) / (1 - attackerShare) - 1e-9));
  while (noHonestMemberBound(k, attackerShare) > bound) k++;
  return k;
}

/** exp(-k (1 - a)) / (1 - e^-k): the bound above on P(no honest member) for committee size k (redraws included). */
export function noHonestMemberBound(k: number, attackerShare: number): number {
  if (!Number.isSafeInteger(k) || k < 1) throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'k', 'must be a positive integer');
  if (!Number.isFinite(attackerShare) || attackerShare < 0 || attackerShare > 1) {
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'attackerShare', 'must be a share in [0, 1]');
  }
  return Math.min(1, Math.exp(-k * (1 - attackerShare)) / (1 - Math.exp(-k)));
}

/** The rate of wrong results finalised without a dispute the default committee is sized for, per task. */
export const DEFAULT_UNDISPUTED_BOUND = 1e-3;
/** The attacker stake share the default is sized for: a third, where the spec's 0.66 term starts to matter. */
export const DEFAULT_DESIGN_ATTACKER_SHARE = 1 / 3;
/** k for the defaults: ceil(ln(1000) / (2/3)) = 11 expected verifiers per task. */
export const DEFAULT_COMMITTEE_SIZE = committeeSizeFor(DEFAULT_UNDISPUTED_BOUND, DEFAULT_DESIGN_ATTACKER_SHARE);
