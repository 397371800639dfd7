import { type Address, VerdictKind } from '@aegis/protocol';

/** One checked verdict as the tally sees it: who voted and which way. */
export interface TallyVote {
  readonly verifier: Address;
  readonly kind: VerdictKind;
}

export interface TallyInput {
  /** The resource node whose result is being judged; its claim counts as one ACCEPT. */
  readonly submitter: Address;
  /** Checked verdicts received inside the window, in arrival order. */
  readonly votes: readonly TallyVote[];
  /** Active nodes (stake >= min stake) counted at the moment the window closes. */
  readonly activeNodes: number;
  /** The last tally this submission gets (its extensions are spent): the larger count wins, whatever its margin. */
  readonly final?: boolean;
}

export type TallyOutcome = 'accepted' | 'rejected';

export type TallyResult =
  | {
      readonly kind: 'decided';
      readonly outcome: TallyOutcome;
      /** Instances on R's side (the submitter included when R = ACCEPT), sorted. */
      readonly winners: readonly Address[];
      /** Instances on the other side: these are liquidated. Sorted. */
      readonly losers: readonly Address[];
      readonly n: number;
      readonly m: number;
    }
  | {
      readonly kind: 'undecided';
      /** 'tie': n == m, so there is no R at all; 'threshold': R exists but n <= min(10m, 0.66 active). */
      readonly reason: 'tie' | 'threshold';
      readonly n: number;
      readonly m: number;
    };

/**
 * The instances of a submission: the submitter's own claim (ACCEPT) plus one verdict per verifier
 * address. The first verdict a verifier gives is the one that counts (a replay or a change of
 * mind is ignored), and a verdict from the submitter itself is ignored: its claim already counts
 * once, and letting it vote again would give it two instances.
 */
export function countInstances(submitter: Address, votes: readonly TallyVote[]): Map<Address, VerdictKind> {
  const instances = new Map<Address, VerdictKind>([[submitter, VerdictKind.ACCEPT]]);
  for (const v of votes) {
    if (!instances.has(v.verifier)) instances.set(v.verifier, v.kind);
  }
  return instances;
}

/**
 * The AegisAI rule, after the window closes: R = the most frequent verdict with n instances,
 * m = all others; R is correct iff n > min(10 m, 0.66 active).
 *
 * Exact integer arithmetic: n > min(a, b) iff n > a or n > b, and n > 0.66 active iff
 * 100 n > 66 active, so no floating point decides anyone's stake.
 * Consequences worth knowing: m = 0 always decides (n >= 1 > 0, the submitter's claim alone
 * suffices); a tie has no R and stays undecided whatever the active count.
 */
export function tally(input: TallyInput): TallyResult {
  const instances = countInstances(input.submitter, input.votes);
  const accept: Address[] = [];
  const reject: Address[] = [];
  for (const [node, kind] of instances) (kind === VerdictKind.ACCEPT ? accept : reject).push(node);

  if (accept.length === reject.length) {
    if (input.final === true) return finalTie(accept, reject);
    return { kind: 'undecided', reason: 'tie', n: accept.length, m: reject.length };
  }
  const acceptWins = accept.length > reject.length;
  const winners = acceptWins ? accept : reject;
  const losers = acceptWins ? reject : accept;
  const n = winners.length;
  const m = losers.length;
  if (input.final !== true && !ruleHolds(n, m, input.activeNodes)) return { kind: 'undecided', reason: 'threshold', n, m };
  return {
    kind: 'decided',
    outcome: acceptWins ? 'accepted' : 'rejected',
    winners: [...winners].sort(),
    losers: [...losers].sort(),
    n,
    m,
  };
}

/** n > min(10 m, 0.66 active), in integers. Exported so the simulator and docs use one definition. */
export function ruleHolds(n: number, m: number, activeNodes: number): boolean {
  return n > 10 * m || 100 * n > 66 * activeNodes;
}

export function decided(outcome: TallyOutcome, winners: readonly Address[], losers: readonly Address[]): TallyResult {
  return { kind: 'decided', outcome, winners: [...winners].sort(), losers: [...losers].sort(), n: winners.length, m: losers.length };
}

/**
 * The last tally ended level (equal counts, or equal stake under `tally: stake`): the result was
 * not shown correct, so it is not accepted and its fee goes to those who rejected it; it was not
 * shown wrong either, so nobody is liquidated. The dispute ends either way.
 */
export function finalTie(accept: readonly Address[], reject: readonly Address[]): TallyResult {
  return { kind: 'decided', outcome: 'rejected', winners: [...reject].sort(), losers: [], n: reject.length, m: accept.length };
}
