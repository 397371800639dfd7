import { VerdictKind } from '@aegis/protocol';
import type { SimRng } from './sim.rng';
import type { BaseStrategy } from './sim.options';

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

/** What the attackers may do at this point of the run (adaptive attackers are honest before the strike). */
export interface AttackPhase {
  readonly strategy: BaseStrategy;
  /** adaptive: true once the run has passed strikeAt; the other strategies always strike. */
  readonly striking: boolean;
}

/** The strategy attackers follow now: an adaptive attacker before its strike behaves honestly, after it colludes. */
function actingAs(phase: AttackPhase): BaseStrategy | 'honest' {
  if (phase.strategy !== 'adaptive') return phase.strategy;
  return phase.striking ? 'colluding' : 'honest';
}

/**
 * Whether `node` returns a wrong result. Honest nodes never do; cheaters do at `rate`, except
 * griefers (their attack is accusing honest results; their own are correct) and adaptive
 * attackers before the strike.
 */
export function submitsWrong(node: SimNode, rate: number, rng: SimRng, phase: AttackPhase): boolean {
  if (!node.cheater) return false;
  const as = actingAs(phase);
  if (as === 'griefing' || as === 'honest' || as === 'lazy') return false;
  return rng.chance(rate);
}

/**
 * The verdict `verifier` gives, or null for silence. Honest verifiers (and wrong-results
 * cheaters, whose attack is only their own output) detect a wrong result with probability
 * `catchRate`. Lazy verifiers ACCEPT everything without running the model. Colluding and
 * griefing cheaters vouch for their own side and accuse everyone else, right or wrong.
 * Withholding cheaters never answer (to stall the tally and the fast path).
 */
export function verdictOf(verifier: SimNode, s: SimSubmission, phase: AttackPhase, catchRate: number, rng: SimRng): VerdictKind | null {
  if (verifier.cheater) {
    const as = actingAs(phase);
    switch (as) {
      case 'wrong-results':
      case 'honest':
        break;
      case 'lazy-verifiers':
      case 'lazy':
        return VerdictKind.ACCEPT;
      case 'withholding':
        return null;
      case 'colluding':
      case 'griefing':
      case 'adaptive':
        return s.submitterCheater ? VerdictKind.ACCEPT : VerdictKind.REJECT;
      default: {
        const unreachable: never = as;
        return unreachable;
      }
    }
  }
  if (!s.wrong) return VerdictKind.ACCEPT;
  return rng.chance(catchRate) ? VerdictKind.REJECT : VerdictKind.ACCEPT;
}

/**
 * Whether `verifier` ran the model for its verdict. Lazy attackers (lazy, lazy-verifiers) sign
 * ACCEPT with invented PoW values, which fail any audit; every other verifier computes (colluders
 * and griefers compute and then lie about the kind, which the audit does not see).
 */
export function computesVerdict(verifier: SimNode, phase: AttackPhase): boolean {
  if (!verifier.cheater) return true;
  const as = actingAs(phase);
  return as !== 'lazy' && as !== 'lazy-verifiers';
}
