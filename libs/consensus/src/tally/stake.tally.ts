import { type Address, VerdictKind } from '@aegis/protocol';
import { countInstances, decided, finalTie, type TallyResult, type TallyVote } from './tally.rule';

/**
 * Which rule decides a submission. `stake` (the default) weighs every instance by its stake at
 * the window close; `spec` is the AegisAI rule as written, counting addresses. A submission
 * records the rule it was opened under, so a network never tallies one submission with both.
 */
export const TALLY_RULES = ['stake', 'spec'] as const;
export type TallyRule = (typeof TALLY_RULES)[number];
export const DEFAULT_TALLY_RULE: TallyRule = 'stake';

export interface StakeTallyInput {
  readonly submitter: Address;
  readonly votes: readonly TallyVote[];
  /**
   * Each instance's stake at the window close, from the ledger's view. An address missing from
   * the map weighs 0 (liquidated or unstaked since it voted): what it no longer has at stake
   * cannot decide anything.
   */
  readonly stakes: ReadonlyMap<Address, bigint>;
  /** Total stake of the active nodes at the window close (the 0.66 term, in stake). */
  readonly activeStake: bigint;
  /**
   * The last tally this submission gets (its extensions are spent): R is the side with the
   * larger stake, whatever its margin. See `finalOutcome` for a tie.
   */
  readonly final: boolean;
}

/**
 * The spec's rule with both sides counted in stake: with W_R the stake behind the heavier side and
 * W_m the other, R is correct iff W_R > min(10 W_m, 0.66 activeStake). Splitting a stake across
 * addresses changes neither sum, so sybils buy nothing. Instances still decide who is paid and who
 * is liquidated; only the weights moved from 1 per address to the stake of each.
 *
 * As in the spec: a side with no instance at all loses (nobody contradicting a result accepts it
 * at the close, whatever the stakes), and the submitter's claim is one ACCEPT instance.
 */
export function tallyByStake(input: StakeTallyInput): TallyResult {
  const instances = countInstances(input.submitter, input.votes);
  const accept: Address[] = [];
  const reject: Address[] = [];
  let acceptStake = 0n;
  let rejectStake = 0n;
  for (const [node, kind] of instances) {
    const stake = input.stakes.get(node) ?? 0n;
    if (kind === VerdictKind.ACCEPT) {
      accept.push(node);
      acceptStake += stake;
    } else {
      reject.push(node);
      rejectStake += stake;
    }
  }
  // Nobody contradicts the result: accepted at the close (m = 0), as under the spec's rule.
  if (reject.length === 0) return decided('accepted', accept, reject);
  if (acceptStake === rejectStake) {
    if (input.final) return finalTie(accept, reject);
    return { kind: 'undecided', reason: 'tie', n: accept.length, m: reject.length };
  }
  const acceptWins = acceptStake > rejectStake;
  const [wn, wm] = acceptWins ? [acceptStake, rejectStake] : [rejectStake, acceptStake];
  if (!input.final && !stakeRuleHolds(wn, wm, input.activeStake)) {
    return { kind: 'undecided', reason: 'threshold', n: (acceptWins ? accept : reject).length, m: (acceptWins ? reject : accept).length };
  }
  return acceptWins ? decided('accepted', accept, reject) : decided('rejected', reject, accept);
}

/** W_R > min(10 W_m, 0.66 activeStake), exactly: W_R > 10 W_m or 100 W_R > 66 activeStake. */
export function stakeRuleHolds(heavier: bigint, lighter: bigint, activeStake: bigint): boolean {
  return heavier > 10n * lighter || 100n * heavier > 66n * activeStake;
}
