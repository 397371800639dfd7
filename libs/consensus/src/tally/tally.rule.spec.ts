import { VerdictKind } from '@aegis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addr } from '../testing/consensus.fixtures';
import { ruleHolds, tally, type TallyVote } from './tally.rule';

const { ACCEPT, REJECT } = VerdictKind;
const A = addr(1);
const votes = (accepts: number, rejects: number, from = 100): TallyVote[] => [
  ...Array.from({ length: accepts }, (_, i) => ({ verifier: addr(from + i), kind: ACCEPT })),
  ...Array.from({ length: rejects }, (_, i) => ({ verifier: addr(from + 10_000 + i), kind: REJECT })),
];

describe('tally', () => {
  it('m = 0: the submitter claim alone decides accepted, nobody loses', () => {
    const sut = tally({ submitter: A, votes: [], activeNodes: 1000 });
    expect(sut).toEqual({ kind: 'decided', outcome: 'accepted', winners: [A], losers: [], n: 1, m: 0 });
  });

  it('a tie (n == m) has no R and is undecided even when active is tiny', () => {
    // claim + 1 ACCEPT vs 2 REJECT; with active = 0 the threshold term alone would pass.
    const sut = tally({ submitter: A, votes: votes(1, 2), activeNodes: 0 });
    expect(sut).toEqual({ kind: 'undecided', reason: 'tie', n: 2, m: 2 });
  });

  it('R = REJECT with n > 10m decides rejected and liquidates the submitter side', () => {
    const sut = tally({ submitter: A, votes: [{ verifier: addr(2), kind: ACCEPT }, ...votes(0, 21)], activeNodes: 10_000 });
    expect(sut.kind).toBe('decided');
    if (sut.kind !== 'decided') return;
    expect(sut.outcome).toBe('rejected');
    expect(sut.losers).toEqual([A, addr(2)]);
    expect(sut.winners).toHaveLength(21);
    expect([sut.n, sut.m]).toEqual([21, 2]);
  });

  it('n exactly 10m is not enough; the 66% term uses exact integers', () => {
    // n = 20, m = 2: 20 > 20 fails; 100*20 = 2000 > 66*active needs active <= 30.
    expect(tally({ submitter: A, votes: [{ verifier: addr(2), kind: ACCEPT }, ...votes(0, 20)], activeNodes: 31 }).kind).toBe('undecided');
    expect(tally({ submitter: A, votes: [{ verifier: addr(2), kind: ACCEPT }, ...votes(0, 20)], activeNodes: 30 }).kind).toBe('decided');
    // 0.66 * 50 = 33 exactly: n = 33 is not > 33, n = 34 is.
    expect(ruleHolds(33, 30, 50)).toBe(false);
    expect(ruleHolds(34, 30, 50)).toBe(true);
  });

  it('a majority under both bounds stays undecided (threshold)', () => {
    const sut = tally({ submitter: A, votes: votes(0, 5), activeNodes: 300 });
    expect(sut).toEqual({ kind: 'undecided', reason: 'threshold', n: 5, m: 1 });
  });

  it('the submitter voting again, or verifying itself, is ignored', () => {
    const sut = tally({
      submitter: A,
      votes: [
        { verifier: A, kind: REJECT },
        { verifier: A, kind: ACCEPT },
      ],
      activeNodes: 5,
    });
    expect(sut).toMatchObject({ kind: 'decided', outcome: 'accepted', n: 1, m: 0, losers: [] });
  });

  it('one instance per verifier: the first verdict counts, replays and changes of mind do not', () => {
    const v = addr(7);
    const sut = tally({
      submitter: A,
      votes: [
        { verifier: v, kind: REJECT },
        { verifier: v, kind: ACCEPT },
        { verifier: v, kind: REJECT },
      ],
      activeNodes: 1,
    });
    expect(sut).toEqual({ kind: 'undecided', reason: 'tie', n: 1, m: 1 });
  });

  it('decided results partition the instances: winners and losers are disjoint and cover everyone', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.nat(40), fc.nat(200), (a, r, active) => {
        const sut = tally({ submitter: A, votes: votes(a, r), activeNodes: active });
        if (sut.kind !== 'decided') return;
        const all = new Set([...sut.winners, ...sut.losers]);
        expect(all.size).toBe(a + r + 1);
        expect(sut.winners.length).toBe(sut.n);
        expect(sut.n).toBeGreaterThan(sut.m);
        expect(sut.n > 10 * sut.m || sut.n * 100 > 66 * active).toBe(true);
      }),
    );
  });
});
