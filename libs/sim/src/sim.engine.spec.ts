import { enableFastKeccak } from '@aegis/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from './sim.engine';
import { SimOptionError, validateSimOptions } from './sim.options';

// Small but not trivial: 40 operators, 400 tasks, 10-minute windows, a task every 10 s.
const small = { nodes: 40, tasks: 400, windowSeconds: 600, taskIntervalSeconds: 10, seed: 'spec' } as const;

describe('runSimulation', () => {
  beforeAll(enableFastKeccak);

  it('wrong-results at 0.2: no honest node slashed, every cheater liquidated, stake conserved', () => {
    const sut = runSimulation({ ...small, strategy: 'wrong-results', cheaters: 0.2, rate: 1 });
    expect(sut.cheaters).toBe(8);
    expect(sut.cheatersActed).toBe(sut.cheaters);
    expect(sut.cheatersLiquidated).toBe(sut.cheaters);
    expect(sut.honestSlashed).toBe(0);
    expect(sut.honestRejected).toBe(0);
    expect(sut.undecided).toBe(0);
    expect(sut.stakeConserved).toBe(true);
    expect(sut.disputes).toBeGreaterThan(0);
    expect(sut.verifierRewards).toBeGreaterThan(0n);
    // Every wrong result that had a verifier was caught; only undrawn committees let one through.
    expect(sut.wrongFinalized).toBeLessThanOrEqual(sut.unverified);
  });

  it('lazy verifiers who vouched for a wrong result that lost are liquidated with it', () => {
    const sut = runSimulation({ ...small, strategy: 'lazy-verifiers', cheaters: 0.2, rate: 0.5 });
    expect(sut.honestSlashed).toBe(0);
    expect(sut.cheatersActedLiquidated).toBe(sut.cheatersActed);
    expect(sut.stakeConserved).toBe(true);
  });

  it('sybil stake split at 0.2 stake share: the spec tally (counting addresses) slashes honest nodes, the stake tally does not', () => {
    const spec = runSimulation({ ...small, strategy: 'sybil', cheaters: 0.2, tally: 'spec' });
    expect(spec.cheaterAddressShare).toBeGreaterThan(0.5);
    expect(spec.honestSlashed).toBeGreaterThan(0);
    const stake = runSimulation({ ...small, strategy: 'sybil', cheaters: 0.2, tally: 'stake' });
    expect(stake.honestSlashed).toBe(0);
    expect(stake.undecided).toBe(0);
    expect(stake.wrongFinalized).toBeLessThan(spec.wrongFinalized);
    expect(stake.cheatersActedLiquidated).toBe(stake.cheatersActed);
    expect(stake.stakeConserved && spec.stakeConserved).toBe(true);
  });

  it('colluding with a majority of stake: wrong results are finalised and honest accusers slashed (the bound is 50%)', () => {
    const sut = runSimulation({ ...small, strategy: 'colluding', cheaters: 0.8, rate: 1 });
    expect(sut.wrongFinalized).toBeGreaterThan(0);
    expect(sut.honestSlashed).toBeGreaterThan(0);
    expect(sut.stakeConserved).toBe(true);
  });

  // Below half the stake, every new strategy and its stake-splitting variant loses money under the
  // stake tally, slashes no honest node and leaves nothing undecided (the sweep shows all shares).
  for (const strategy of ['griefing', 'withholding', 'adaptive', 'griefing-split', 'withholding-split', 'adaptive-split'] as const) {
    it(`${strategy} at 0.4 under tally: stake: no honest node slashed, nothing undecided, every attacker that acted liquidated, a loss`, () => {
      const sut = runSimulation({ ...small, strategy, cheaters: 0.4, tally: 'stake' });
      expect(sut.cheatersActed).toBeGreaterThan(0);
      expect(sut.honestSlashed).toBe(0);
      expect(sut.undecided).toBe(0);
      expect(sut.cheatersActedLiquidated).toBe(sut.cheatersActed);
      expect(sut.attackerProfit).toBeLessThan(0n);
      // A wrong result gets through only when no honest member of its committee answered.
      expect(sut.wrongFinalized).toBe(sut.wrongFinalizedUndisputed);
      expect(sut.stakeConserved).toBe(true);
    });
  }

  // Lazy verifiers ACCEPT without running the model: the PoW checker's audit share catches their
  // invented values, each caught one loses its whole stake, and the attack loses money.
  for (const strategy of ['lazy', 'lazy-split'] as const) {
    it(`${strategy} at 0.3: audited verdicts liquidate their verifiers, no honest loss, the attacker loses money`, () => {
      const sut = runSimulation({ ...small, strategy, cheaters: 0.3 });
      expect(sut.uncomputedVerdicts).toBeGreaterThan(0);
      expect(sut.auditCaught).toBeGreaterThan(0);
      expect(sut.cheatersActedLiquidated).toBeGreaterThan(0);
      expect(sut.honestSlashed).toBe(0);
      expect(sut.undecided).toBe(0);
      expect(sut.wrongSubmitted).toBe(0);
      expect(sut.attackerProfit).toBeLessThan(0n);
      expect(sut.stakeConserved).toBe(true);
    });
  }

  it('lazy without audits (--audit-share 0) is paid for verdicts it never computed: the audit is what makes it lose', () => {
    const unaudited = runSimulation({ ...small, strategy: 'lazy', cheaters: 0.3, auditShare: 0 });
    expect(unaudited.auditCaught).toBe(0);
    expect(unaudited.cheatersLiquidated).toBe(0);
    expect(unaudited.attackerProfit).toBeGreaterThan(0n);
  });

  it('griefing-split under tally: spec wins disputes by address count and profits: the record of why the default changed', () => {
    const sut = runSimulation({ ...small, strategy: 'griefing-split', cheaters: 0.4, tally: 'spec' });
    expect(sut.cheaterAddressShare).toBeGreaterThan(0.5);
    expect(sut.honestSlashed).toBeGreaterThan(0);
    expect(sut.attackerProfit).toBeGreaterThan(0n);
  });

  it('adaptive attackers act honestly before the strike: no wrong result from them in the first half', () => {
    const early = runSimulation({ ...small, tasks: 200, strategy: 'adaptive', cheaters: 0.3, strikeAt: 1 });
    expect(early.wrongSubmitted).toBe(0);
    expect(early.cheatersActed).toBe(0);
    expect(early.attackerProfit).toBeGreaterThan(0n);
  });

  it('is a pure function of its options and seed', () => {
    const a = runSimulation({ ...small, tasks: 100, strategy: 'colluding' });
    const b = runSimulation({ ...small, tasks: 100, strategy: 'colluding' });
    expect({ ...a, elapsedMs: 0 }).toEqual({ ...b, elapsedMs: 0 });
  });

  it('refuses bad options naming the field', () => {
    expect(() => validateSimOptions({ nodes: 1 })).toThrow(SimOptionError);
    for (const [input, field] of [
      [{ cheaters: 1 }, 'cheaters'],
      [{ strategy: 'bribery' as 'sybil' }, 'strategy'],
      [{ tasks: 1.5 }, 'tasks'],
      [{ catchRate: Number.NaN }, 'catchRate'],
      [{ fee: 0n }, 'fee'],
    ] as const) {
      try {
        validateSimOptions(input);
        throw new Error('accepted');
      } catch (e) {
        expect((e as SimOptionError).field).toBe(field);
      }
    }
  });
});
