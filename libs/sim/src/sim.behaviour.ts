import { VerdictKind } from '@aegis/protocol';
import type { SimRng } from './sim.rng';
import type { SimStrategy } from './sim.options';

export interface SimNode {
  readonly address: string;
  readonly cheater: boolean;
  /** The operator behind the address (a sybil operator runs many addresses). */
  readonly operator: number;
}

export interface SimSubmission {
  readonly wrong: boolean;
  readonly submitterCheater: boolean;
}

/**
 * Whether `node` returns a wrong result. Honest nodes never do; every strategy's cheaters do at
 * `rate` (a lazy node fabricates its output instead of running the model).
 */
export function submitsWrong(node: SimNode, rate: number, rng: SimRng): boolean {
  return node.cheater && rng.chance(rate);
}

/**
 * The verdict `verifier` gives. Honest verifiers (and wrong-results cheaters, whose attack is
 * only their own output) detect a wrong result with probability `catchRate`. Lazy verifiers
 * ACCEPT everything without running the model. Colluding and sybil cheaters vouch for their own
 * side and accuse everyone else, right or wrong.
 */
export function verdictOf(verifier: SimNode, s: SimSubmission, strategy: SimStrategy, catchRate: number, rng: SimRng): VerdictKind {
  if (verifier.cheater) {
    switch (strategy) {
      case 'wrong-results':
        break;
      case 'lazy-verifiers':
        return VerdictKind.ACCEPT;
      case 'colluding':
      case 'sybil':
        return s.submitterCheater ? VerdictKind.ACCEPT : VerdictKind.REJECT;
      default: {
        const unreachable: never = strategy;
        return unreachable;
      }
    }
  }
  if (!s.wrong) return VerdictKind.ACCEPT;
  return rng.chance(catchRate) ? VerdictKind.REJECT : VerdictKind.ACCEPT;
}
