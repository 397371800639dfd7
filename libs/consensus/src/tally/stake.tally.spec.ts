import { VerdictKind } from '@aegis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addr } from '../testing/consensus.fixtures';
import { stakeRuleHolds, tallyByStake } from './stake.tally';
import type { TallyResult, TallyVote } from './tally.rule';

const { ACCEPT, REJECT } = VerdictKind;
const SUBMITTER = addr(1);

/** A voter: its stake and its verdict. Index 0 is the submitter (always ACCEPT). */
interface Voter {
  readonly stake: bigint;
  readonly kind: VerdictKind;
}

const voterArb: fc.Arbitrary<Voter> = fc.record({ stake: fc.bigInt({ min: 1n, max: 90_000n }), kind: fc.constantFrom(ACCEPT, REJECT) });

function inputOf(submitterStake: bigint, voters: readonly Voter[], activeStake: bigint, final = false) {
  const stakes = new Map<string, bigint>([[SUBMITTER, submitterStake]]);
  const votes: TallyVote[] = voters.map((v, i) => {
    stakes.set(addr(100 + i), v.stake);
    return { verifier: addr(100 + i), kind: v.kind };
  });
  return { submitter: SUBMITTER, votes, stakes, activeStake, final };
}

const verdictOf = (r: TallyResult): string => (r.kind === 'decided' ? r.outcome : 'undecided');

describe('tallyByStake', () => {
  it('weighs stake, not addresses: one 9-unit REJECT beats three 1-unit ACCEPTs (and the spec would say the opposite)', () => {
    const votes = [
      { verifier: addr(2), kind: ACCEPT },
      { verifier: addr(3), kind: ACCEPT },
      { verifier: addr(4), kind: REJECT },
    ];
    const stakes = new Map([
      [SUBMITTER, 1n],
      [addr(2), 1n],
      [addr(3), 1n],
      [addr(4), 9n],
    ]);
    const sut = tallyByStake({ submitter: SUBMITTER, votes, stakes, activeStake: 12n, final: false });
    expect(sut).toMatchObject({ kind: 'decided', outcome: 'rejected', winners: [addr(4)], losers: [SUBMITTER, addr(2), addr(3)].sort() });
  });

  it('below the threshold it is undecided, and the final tally gives it to the heavier side', () => {
    const votes = [{ verifier: addr(2), kind: REJECT }];
    const stakes = new Map([
      [SUBMITTER, 6n],
      [addr(2), 4n],
    ]);
    expect(tallyByStake({ submitter: SUBMITTER, votes, stakes, activeStake: 10n, final: false })).toMatchObject({
      kind: 'undecided',
      reason: 'threshold',
    });
    expect(tallyByStake({ submitter: SUBMITTER, votes, stakes, activeStake: 10n, final: true })).toMatchObject({
      kind: 'decided',
      outcome: 'accepted',
      losers: [addr(2)],
    });
  });

  it('a final tie rejects the result and liquidates nobody; an address absent from the stakes weighs 0', () => {
    const votes = [{ verifier: addr(2), kind: REJECT }];
    const tie = tallyByStake({ submitter: SUBMITTER, votes, stakes: new Map(), activeStake: 10n, final: true });
    expect(tie).toMatchObject({ kind: 'decided', outcome: 'rejected', winners: [addr(2)], losers: [] });
    expect(tallyByStake({ submitter: SUBMITTER, votes, stakes: new Map(), activeStake: 10n, final: false })).toMatchObject({
      kind: 'undecided',
      reason: 'tie',
    });
  });

  it('nobody contradicting accepts at the close, whatever the stakes', () => {
    expect(tallyByStake({ submitter: SUBMITTER, votes: [], stakes: new Map(), activeStake: 100n, final: false })).toMatchObject({
      kind: 'decided',
      outcome: 'accepted',
      losers: [],
    });
  });

  it('is exact at the 0.66 boundary: 66 of 100 does not decide, 67 does (with m too heavy for the 10m term)', () => {
    expect(stakeRuleHolds(66n, 34n, 100n)).toBe(false);
    expect(stakeRuleHolds(67n, 33n, 100n)).toBe(true);
    expect(stakeRuleHolds(11n, 1n, 1_000n)).toBe(true);
    expect(stakeRuleHolds(10n, 1n, 1_000n)).toBe(false);
  });

  it('sybil-proof: splitting any voter into several addresses voting alike changes nothing (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 90_000n }),
        fc.array(voterArb, { minLength: 0, maxLength: 12 }),
        fc.nat(11),
        fc.integer({ min: 2, max: 9 }),
        fc.boolean(),
        (submitterStake, voters, pick, parts, final) => {
          const total = voters.reduce((s, v) => s + v.stake, submitterStake);
          const before = tallyByStake(inputOf(submitterStake, voters, total, final));
          const victim = voters[pick % Math.max(1, voters.length)];
          if (!victim || victim.stake < BigInt(parts)) return;
          const share = victim.stake / BigInt(parts);
          const split: Voter[] = Array.from({ length: parts }, (_, i) => ({
            kind: victim.kind,
            stake: i === 0 ? victim.stake - share * BigInt(parts - 1) : share,
          }));
          const others = voters.filter((v) => v !== victim);
          const after = tallyByStake(inputOf(submitterStake, [...others, ...split], total, final));
          expect(verdictOf(after)).toBe(verdictOf(before));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('monotone: more stake on the winning side never undoes or flips a decision (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 90_000n }),
        fc.array(voterArb, { maxLength: 12 }),
        voterArb,
        fc.bigInt({ min: 0n, max: 400_000n }),
        (submitterStake, voters, extra, slack) => {
          const active = voters.reduce((s, v) => s + v.stake, submitterStake) + slack;
          const before = tallyByStake(inputOf(submitterStake, voters, active));
          if (before.kind !== 'decided' || before.losers.length === 0) return;
          const joining: Voter = { stake: extra.stake, kind: before.outcome === 'accepted' ? ACCEPT : REJECT };
          const after = tallyByStake(inputOf(submitterStake, [...voters, joining], active + extra.stake));
          expect(verdictOf(after)).toBe(before.outcome);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('no honest loss while honest stake is above half of what voted: honest nodes never lose, the final tally goes their way (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.bigInt({ min: 1n, max: 90_000n }), { minLength: 1, maxLength: 10 }),
        fc.array(voterArb, { maxLength: 10 }),
        fc.bigInt({ min: 1n, max: 90_000n }),
        fc.boolean(),
        (resultCorrect, honestStakes, attackers, submitterStake, final) => {
          // The truthful verdict; the submitter is honest iff its result is correct.
          const truth = resultCorrect ? ACCEPT : REJECT;
          const honest: Voter[] = honestStakes.map((stake) => ({ stake, kind: truth }));
          const honestStake = honestStakes.reduce((a, b) => a + b, resultCorrect ? submitterStake : 0n);
          const attackerStake = attackers.reduce((a, v) => a + v.stake, resultCorrect ? 0n : submitterStake);
          if (honestStake <= attackerStake) return;
          const input = inputOf(submitterStake, [...honest, ...attackers], honestStake + attackerStake, final);
          const sut = tallyByStake(input);
          const honestAddresses = new Set([...(resultCorrect ? [SUBMITTER] : []), ...honest.map((_, i) => addr(100 + i))]);
          if (sut.kind === 'decided') {
            for (const loser of sut.losers) expect(honestAddresses.has(loser)).toBe(false);
            // Nobody contradicting decides for the submitter; otherwise the truthful side wins.
            if (sut.losers.length > 0 || sut.outcome === 'rejected') expect(sut.outcome).toBe(resultCorrect ? 'accepted' : 'rejected');
          }
          if (final) expect(sut.kind).toBe('decided');
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
