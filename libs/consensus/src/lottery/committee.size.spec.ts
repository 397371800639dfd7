import { enableFastKeccak, keccak256, utf8 } from '@aegis/protocol';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConsensusError } from '../consensus.errors';
import { addr } from '../testing/consensus.fixtures';
import { committeeSizeFor, DEFAULT_COMMITTEE_SIZE, noHonestMemberBound } from './committee.size';
import { type StakedNode, selectVerifiers } from './verifier.lottery';

describe('committee size from a bound', () => {
  // The WebAssembly Keccak gives the same tickets (protocol test vectors), ten times faster.
  beforeAll(enableFastKeccak);

  it('the default: 1e-3 at a third of the stake needs k = 11 (ln(1000) / (2/3) = 10.36)', () => {
    expect(DEFAULT_COMMITTEE_SIZE).toBe(11);
    expect(noHonestMemberBound(11, 1 / 3)).toBeLessThanOrEqual(1e-3);
    expect(noHonestMemberBound(10, 1 / 3)).toBeGreaterThan(1e-3);
    // The old default, 3, bounds it only at 0.14: the undisputed wrong results the sweeps measured.
    expect(noHonestMemberBound(3, 1 / 3)).toBeGreaterThan(0.1);
  });

  it('is the smallest k whose bound holds', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 0.9, noNaN: true }), (bound, share) => {
        const k = committeeSizeFor(bound, share);
        expect(noHonestMemberBound(k, share)).toBeLessThanOrEqual(bound);
        if (k > 1) expect(noHonestMemberBound(k - 1, share)).toBeGreaterThan(bound);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds what the real lottery does: measured P(no honest member) <= the bound (statistical)', () => {
    // 150 nodes with stakes 1..9, a third of the stake attacker (the first nodes until a third), k = 3 so the
    // event is frequent enough to count: bound e^-2 / (1 - e^-3) ~ 0.142; the exact product is a little lower.
    const nodes: StakedNode[] = Array.from({ length: 150 }, (_, i) => ({ address: addr(5_000 + i), stake: BigInt(1 + (i % 9)) }));
    const total = nodes.reduce((s, n) => s + n.stake, 0n);
    const attackers = new Set<string>();
    let attackerStake = 0n;
    for (const n of nodes) {
      if (3n * (attackerStake + n.stake) > total) break;
      attackers.add(n.address);
      attackerStake += n.stake;
    }
    const share = Number(attackerStake) / Number(total);
    const k = 3;
    const rounds = 2_000;
    let noHonest = 0;
    for (let r = 0; r < rounds; r++) {
      const committee = selectVerifiers(nodes, keccak256(utf8(`size-${r}`)), k);
      if (!committee.some((a) => !attackers.has(a))) noHonest++;
    }
    const p = noHonestMemberBound(k, share);
    // Binomial(2000, p) stays under mean + 5 sigma except with probability < 1e-6.
    expect(noHonest).toBeLessThan(rounds * p + 5 * Math.sqrt(rounds * p * (1 - p)));
    // And the bound is not loose by much: the exact e^{-k h} form is within a factor ~1.1 here.
    expect(noHonest).toBeGreaterThan(rounds * p * 0.7);
  });

  it('refuses bad inputs naming the field', () => {
    for (const [fn, field] of [
      [() => committeeSizeFor(0, 0.3), 'bound'],
      [() => committeeSizeFor(1, 0.3), 'bound'],
      [() => committeeSizeFor(1e-3, 1), 'attackerShare'],
      [() => committeeSizeFor(1e-3, Number.NaN), 'attackerShare'],
      [() => noHonestMemberBound(0, 0.3), 'k'],
    ] as const) {
      try {
        fn();
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(ConsensusError);
        expect((e as ConsensusError).field).toBe(field);
      }
    }
  });
});
