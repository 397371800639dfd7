import { describe, expect, it } from 'vitest';
import { summarizeNodeEntries } from './node.summary';

const me = '0x00000000000000000000000000000000000000aa';
const other = '0x00000000000000000000000000000000000000bb';
const entry = (kind: string, postings: [string, bigint][]) => ({
  sequence: '1',
  kind,
  appliedAt: '',
  postings: postings.map(([account, delta]) => ({ account, delta })),
});

describe('summarizeNodeEntries', () => {
  it('counts fee payouts and pool shares credited to the node and the stake a liquidation took', () => {
    const summary = summarizeNodeEntries(me, [
      entry('deposit', [
        ['treasury', -100n],
        [`free:${me}`, 100n],
      ]),
      entry('payout-fee', [
        ['escrow:0x01', -30n],
        [`free:${me}`, 20n],
        [`free:${other}`, 10n],
      ]),
      entry('payout-fee', [
        ['escrow:0x02', -10n],
        [`free:${other}`, 10n],
      ]),
      entry('distribute-pool', [
        ['pool:0x03', -50n],
        [`free:${me}`, 25n],
        [`free:${other}`, 25n],
      ]),
      entry('liquidate', [
        [`stake:${me}`, -70n],
        [`unbonding:${me}`, -5n],
        ['pool:0x04', 75n],
      ]),
      entry('liquidate', [
        [`stake:${other}`, -9n],
        ['pool:0x05', 9n],
      ]),
    ]);
    expect(summary).toEqual({ feePayouts: 1, feesEarned: 20n, poolRewards: 1, poolEarned: 25n, liquidations: 1, slashed: 75n });
  });
});
