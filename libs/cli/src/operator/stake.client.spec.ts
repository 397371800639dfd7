import { describe, expect, it } from 'vitest';
import { explainWithdrawRefusal, type AccountView } from './stake.client';

const base: AccountView = {
  address: '0x0000000000000000000000000000000000000001',
  free: 0n,
  staked: 0n,
  unbonding: [],
  active: false,
  frozen: false,
  tokens: { free: '0', staked: '0', unbonding: '0' },
};

describe('explainWithdrawRefusal', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('names the open dispute first: it freezes even matured tranches', () => {
    const account = { ...base, frozen: true, unbonding: [{ amount: 5n, maturesAt: '2025-12-31T00:00:00.000Z' }] };
    expect(explainWithdrawRefusal(account, now)).toMatch(/open dispute/);
  });

  it('says to unstake first when nothing is unbonding', () => {
    expect(explainWithdrawRefusal(base, now)).toMatch(/nothing is unbonding.*aegis unstake/);
  });

  it('gives the earliest tranche, its maturity and the seconds left', () => {
    const account = {
      ...base,
      unbonding: [
        { amount: 2_000_000_000_000_000_000n, maturesAt: '2026-01-01T00:01:30.000Z' },
        { amount: 500_000_000_000_000_000n, maturesAt: '2026-01-01T00:00:42.500Z' },
      ],
    };
    expect(explainWithdrawRefusal(account, now)).toBe(
      "unstaked funds wait out the ledger's unbonding delay: the earliest tranche (0.5 tokens) matures at 2026-01-01T00:00:42.500Z, in 43 s",
    );
  });
});
