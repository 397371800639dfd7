import { keccak256, utf8 } from '@aegis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsensusError, ConsensusErrorCode } from '../consensus.errors';
import { addr } from '../testing/consensus.fixtures';
import { expectedCommitteeSize, isEligible, lotteryTicket, selectVerifiers, type StakedNode } from './verifier.lottery';

const beaconN = (i: number): Uint8Array => keccak256(utf8(`beacon-${i}`));

describe('verifier lottery', () => {
  it('the ticket is keccak256(address bytes || beacon) read big-endian', () => {
    // Independent reconstruction with BigInt('0x...') instead of the byte loop under test.
    const beacon = beaconN(1);
    const v = addr(0xabc);
    const bytes = new Uint8Array([...Buffer.from(v.slice(2), 'hex'), ...beacon]);
    expect(lotteryTicket(v, beacon)).toBe(BigInt(`0x${Buffer.from(keccak256(bytes)).toString('hex')}`));
  });

  it('boundaries: zero stake never, a stake >= total/k always, eligibility is monotone in stake', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.bigInt({ min: 0n, max: 1_000n }), fc.integer({ min: 1, max: 5 }), (i, s, k) => {
        const total = 1_000n;
        const v = addr(i + 1);
        const b = beaconN(i);
        expect(isEligible(v, 0n, total, b, k)).toBe(false);
        expect(isEligible(v, total, total, b, k)).toBe(true);
        if (BigInt(k) * s >= total) expect(isEligible(v, s, total, b, k)).toBe(true);
        if (isEligible(v, s, total, b, k) && s < total) expect(isEligible(v, s + 1n, total, b, k)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is stake-proportional on average: expected committee k, per-node rate k * s / S (statistical)', () => {
    // 40 nodes with stakes 1..40 (total 820), k = 3, 4000 beacons. Node i is selected with
    // p_i = 3 i / 820 (<= 0.146). Each count is Binomial(4000, p_i); we allow 5 sigma per node,
    // which a correct lottery fails with probability < 40 * 6e-7.
    const nodes: StakedNode[] = Array.from({ length: 40 }, (_, i) => ({ address: addr(1_000 + i), stake: BigInt(i + 1) }));
    const k = 3;
    const rounds = 4_000;
    const counts = new Map<string, number>();
    let committee = 0;
    for (let r = 0; r < rounds; r++) {
      const chosen = selectVerifiers(nodes, beaconN(r), k);
      committee += chosen.length;
      for (const a of chosen) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    expect(
      expectedCommitteeSize(
        nodes.map((n) => n.stake),
        k,
      ),
    ).toBeCloseTo(3, 10);
    // Mean committee size: sum of 40 independent Bernoullis, variance <= 3; 5 sigma over 4000 rounds.
    expect(Math.abs(committee / rounds - k)).toBeLessThan(5 * Math.sqrt(3 / rounds));
    nodes.forEach((n, i) => {
      const p = (k * (i + 1)) / 820;
      const mean = rounds * p;
      const sigma = Math.sqrt(rounds * p * (1 - p));
      expect(Math.abs((counts.get(n.address) ?? 0) - mean)).toBeLessThan(5 * sigma);
    });
    // And the heaviest node is chosen clearly more often than the lightest (40x the stake).
    expect(counts.get(addr(1_039)) ?? 0).toBeGreaterThan(10 * (counts.get(addr(1_000)) ?? 0));
  });

  it('anyone re-running the check on the same snapshot gets the same committee', () => {
    const nodes: StakedNode[] = Array.from({ length: 20 }, (_, i) => ({ address: addr(i + 1), stake: 10n }));
    const b = beaconN(7);
    const committee = selectVerifiers(nodes, b, 3);
    for (const n of nodes) expect(isEligible(n.address, n.stake, 200n, b, 3)).toBe(committee.includes(n.address));
  });

  it('refuses bad inputs naming the field', () => {
    const cases: [() => unknown, string][] = [
      [() => isEligible(addr(1), -1n, 10n, beaconN(0), 3), 'stake'],
      [() => isEligible(addr(1), 11n, 10n, beaconN(0), 3), 'stake'],
      [() => isEligible(addr(1), 1n, 0n, beaconN(0), 3), 'totalStake'],
      [() => isEligible(addr(1), 1n, 10n, beaconN(0), 0), 'k'],
      [() => isEligible(addr(1), 1n, 10n, new Uint8Array(31), 3), 'beacon'],
    ];
    for (const [fn, field] of cases) {
      expect(fn).toThrow(ConsensusError);
      try {
        fn();
      } catch (e) {
        expect((e as ConsensusError).field).toBe(field);
        expect([ConsensusErrorCode.INVALID_STAKE, ConsensusErrorCode.INVALID_BEACON]).toContain((e as ConsensusError).code);
      }
    }
  });
});
