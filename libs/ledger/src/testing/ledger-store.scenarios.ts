import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountId, TREASURY } from '../core/ledger.accounts';
import { MAX_AMOUNT } from '../core/ledger.amount';
import type { LedgerCommand } from '../core/ledger.commands';
import { LedgerError, LedgerErrorCode } from '../core/ledger.errors';
import type { BatchItemOutcome, LedgerStore } from '../core/ledger.store';
import { InMemoryLedger } from '../memory/in-memory.ledger';
import { addr, at, deposit, k, stake, TEST_RULES } from './ledger.fixtures';

export interface StoreHandle {
  store: LedgerStore;
  close?: () => Promise<void>;
}

async function snapshot(store: LedgerStore): Promise<{ balances: [string, bigint][]; minted: bigint }> {
  const balances = [...(await store.balances())].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1));
  return { balances, minted: await store.totalMinted() };
}

/** Asserts the command is refused with `code` on `field` and that nothing changed. */
export async function expectRefused(
  store: LedgerStore,
  cmd: LedgerCommand,
  code: LedgerErrorCode,
  field: string,
  now = at(0),
): Promise<void> {
  const before = await snapshot(store);
  const err = await store.apply(cmd, now).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${cmd.kind} should be refused`).toBeInstanceOf(LedgerError);
  expect({ code: (err as LedgerError).code, field: (err as LedgerError).field }).toEqual({ code, field });
  expect(await snapshot(store)).toEqual(before);
}

/**
 * The behaviour every LedgerStore must have. Registered by the in-memory unit spec and the
 * Postgres integration spec, so the twin and the real store are held to the same cases.
 */
export function describeLedgerStoreScenarios(name: string, open: () => Promise<StoreHandle>): void {
  describe(`${name}: ledger scenarios`, () => {
    let handle: StoreHandle;
    let sut: LedgerStore;
    const [a, b, c, d] = [addr(0xa), addr(0xb), addr(0xc), addr(0xd)];

    beforeEach(async () => {
      handle = await open();
      sut = handle.store;
    });

    afterEach(async () => {
      const report = await sut.checkInvariant();
      expect(report.negative).toEqual([]);
      expect(report.sum).toBe(report.minted);
      expect(report.ok).toBe(true);
      await handle.close?.();
    });

    it('deposit mints into free; stake moves free -> stake; activity follows the minimum stake', async () => {
      await sut.apply(deposit(a, 5_000n), at(0));
      expect(await sut.totalMinted()).toBe(5_000n);
      await sut.apply(stake(a, 999n), at(0));
      expect(await sut.isActive(a)).toBe(false);
      await sut.apply(stake(a, 1n), at(0));
      expect(await sut.balance(accountId.free(a))).toBe(4_000n);
      expect(await sut.balance(accountId.stake(a))).toBe(1_000n);
      expect(await sut.isActive(a)).toBe(true);
      await sut.apply(deposit(b, 2_000n), at(0));
      await sut.apply(stake(b, 2_000n), at(0));
      expect(await sut.activeNodes()).toEqual([a, b]);
      expect(await sut.balance('free:0x0000000000000000000000000000000000000999')).toBe(0n);
    });

    it('accepts decimal-string amounts and checksummed addresses as the same canonical command', async () => {
      const upper = `0x${'AB'.repeat(20)}`;
      const wire = { kind: 'deposit', key: 'wire-1', address: upper, amount: '250' } as unknown as LedgerCommand;
      await sut.apply(wire, at(0));
      expect(await sut.balance(accountId.free(upper.toLowerCase()))).toBe(250n);
      const replay = await sut.apply({ kind: 'deposit', key: 'wire-1', address: upper.toLowerCase(), amount: 250n }, at(1));
      expect(replay.applied).toBe(false);
    });

    it('refuses bad amounts and addresses, naming the field, without changing anything', async () => {
      await sut.apply(deposit(a, 100n), at(0));
      const bad = (amount: unknown): LedgerCommand => ({ kind: 'stake', key: k(), address: a, amount }) as LedgerCommand;
      await expectRefused(sut, bad(0n), LedgerErrorCode.INVALID_AMOUNT, 'amount');
      await expectRefused(sut, bad(-5n), LedgerErrorCode.INVALID_AMOUNT, 'amount');
      await expectRefused(sut, bad('1.5'), LedgerErrorCode.INVALID_AMOUNT, 'amount');
      await expectRefused(sut, bad(2.5), LedgerErrorCode.INVALID_AMOUNT, 'amount');
      await expectRefused(sut, bad('1'.padEnd(79, '0')), LedgerErrorCode.INVALID_AMOUNT, 'amount');
      await expectRefused(sut, deposit('0x1234', 1n), LedgerErrorCode.INVALID_ADDRESS, 'address');
      await expectRefused(sut, { kind: 'mint', key: k(), address: a } as unknown as LedgerCommand, LedgerErrorCode.INVALID_COMMAND, 'kind');
      await expectRefused(sut, { kind: 'deposit', key: '', address: a, amount: 1n }, LedgerErrorCode.INVALID_COMMAND, 'key');
    });

    it('refuses a deposit that would take a balance past NUMERIC(78,0), naming amount, changing nothing', async () => {
      await sut.apply(deposit(a, MAX_AMOUNT - 1n), at(0));
      await expectRefused(sut, deposit(a, 2n), LedgerErrorCode.INVALID_AMOUNT, 'amount');
      await sut.apply(deposit(a, 1n), at(0));
      expect(await sut.balance(accountId.free(a))).toBe(MAX_AMOUNT);
    });

    it('refunds an escrow to its client, never more than it holds', async () => {
      await sut.apply(deposit(a, 1_000n), at(0));
      await sut.apply({ kind: 'escrow-fee', key: k(), taskId: 'r1', client: a, amount: 400n }, at(0));
      await expectRefused(
        sut,
        { kind: 'refund-escrow', key: k(), taskId: 'r1', client: a, amount: 401n },
        LedgerErrorCode.INSUFFICIENT_FUNDS,
        'amount',
      );
      await expectRefused(
        sut,
        { kind: 'refund-escrow', key: k(), taskId: 'none', client: a, amount: 1n },
        LedgerErrorCode.UNKNOWN_ACCOUNT,
        'taskId',
      );
      await sut.apply({ kind: 'refund-escrow', key: 'refund-r1', taskId: 'r1', client: a, amount: 400n }, at(1));
      await sut.apply({ kind: 'refund-escrow', key: 'refund-r1', taskId: 'r1', client: a, amount: 400n }, at(2));
      expect(await sut.balance(accountId.free(a))).toBe(1_000n);
      expect(await sut.balance(accountId.escrow('r1'))).toBe(0n);
    });

    it('refuses debits from unknown accounts and beyond the balance', async () => {
      await expectRefused(sut, stake(a, 1n), LedgerErrorCode.UNKNOWN_ACCOUNT, 'address');
      await sut.apply(deposit(a, 100n), at(0));
      await expectRefused(sut, stake(a, 101n), LedgerErrorCode.INSUFFICIENT_FUNDS, 'amount');
      await expectRefused(sut, { kind: 'request-unstake', key: k(), address: a, amount: 1n }, LedgerErrorCode.UNKNOWN_ACCOUNT, 'address');
      await sut.apply(stake(a, 100n), at(0));
      await expectRefused(
        sut,
        { kind: 'request-unstake', key: k(), address: a, amount: 101n },
        LedgerErrorCode.INSUFFICIENT_FUNDS,
        'amount',
      );
      await expectRefused(
        sut,
        { kind: 'escrow-fee', key: k(), taskId: 't1', client: b, amount: 1n },
        LedgerErrorCode.UNKNOWN_ACCOUNT,
        'client',
      );
    });

    it('unbonds: withdraw only after the delay, each tranche on its own clock', async () => {
      await sut.apply(deposit(a, 1_000n), at(0));
      await sut.apply(stake(a, 1_000n), at(0));
      await expectRefused(sut, { kind: 'withdraw', key: k(), address: a }, LedgerErrorCode.NOTHING_TO_WITHDRAW, 'address');
      await sut.apply({ kind: 'request-unstake', key: k(), address: a, amount: 300n }, at(0));
      await sut.apply({ kind: 'request-unstake', key: k(), address: a, amount: 200n }, at(30));
      expect(await sut.balance(accountId.unbonding(a))).toBe(500n);
      expect(await sut.balance(accountId.stake(a))).toBe(500n);
      await expectRefused(sut, { kind: 'withdraw', key: k(), address: a }, LedgerErrorCode.NOT_MATURED, 'address', at(59));
      const first = await sut.apply({ kind: 'withdraw', key: k(), address: a }, at(60));
      expect(first.entries).toEqual([
        { account: accountId.unbonding(a), amount: -300n },
        { account: accountId.free(a), amount: 300n },
      ]);
      await expectRefused(sut, { kind: 'withdraw', key: k(), address: a }, LedgerErrorCode.NOT_MATURED, 'address', at(89));
      await sut.apply({ kind: 'withdraw', key: k(), address: a }, at(90));
      expect(await sut.balance(accountId.free(a))).toBe(500n);
      expect(await sut.balance(accountId.unbonding(a))).toBe(0n);
      await expectRefused(sut, { kind: 'withdraw', key: k(), address: a }, LedgerErrorCode.NOTHING_TO_WITHDRAW, 'address', at(1_000));
    });

    it('freezes the parties of an open dispute, liquidates stake and unbonding, and splits the pool', async () => {
      for (const [x, amount] of [
        [a, 1_000n],
        [b, 2_000n],
        [c, 2_000n],
        [d, 2_000n],
      ] as const) {
        await sut.apply(deposit(x, amount), at(0));
        await sut.apply(stake(x, amount), at(0));
      }
      await sut.apply({ kind: 'request-unstake', key: k(), address: a, amount: 400n }, at(0));
      await sut.apply({ kind: 'open-dispute', key: k(), disputeId: 'd1', accused: a }, at(1));
      await expectRefused(
        sut,
        { kind: 'open-dispute', key: k(), disputeId: 'd1', accused: b },
        LedgerErrorCode.DISPUTE_EXISTS,
        'disputeId',
      );
      await expectRefused(sut, { kind: 'request-unstake', key: k(), address: a, amount: 1n }, LedgerErrorCode.DISPUTE_OPEN, 'address');
      // Matured, but still frozen: the dispute may yet take it.
      await expectRefused(sut, { kind: 'withdraw', key: k(), address: a }, LedgerErrorCode.DISPUTE_OPEN, 'address', at(100));
      await sut.apply({ kind: 'join-dispute', key: k(), disputeId: 'd1', address: d }, at(2));
      await expectRefused(sut, { kind: 'request-unstake', key: k(), address: d, amount: 1n }, LedgerErrorCode.DISPUTE_OPEN, 'address');
      await sut.apply({ kind: 'request-unstake', key: k(), address: b, amount: 1n }, at(2));

      await sut.apply({ kind: 'liquidate', key: k(), disputeId: 'd1', address: a }, at(3));
      expect(await sut.balance(accountId.stake(a))).toBe(0n);
      expect(await sut.balance(accountId.unbonding(a))).toBe(0n);
      expect(await sut.balance(accountId.pool('d1'))).toBe(1_000n);
      expect(await sut.isActive(a)).toBe(false);

      const out = await sut.apply({ kind: 'distribute-pool', key: k(), disputeId: 'd1', winners: [b, c, d] }, at(4));
      // 1000 / 3 = 333 each, 1 left for the treasury.
      expect(out.entries).toEqual([
        { account: accountId.pool('d1'), amount: -1_000n },
        { account: accountId.free(b), amount: 333n },
        { account: accountId.free(c), amount: 333n },
        { account: accountId.free(d), amount: 333n },
        { account: TREASURY, amount: 1n },
      ]);
      expect(await sut.balance(TREASURY)).toBe(1n);
      // Closed: parties are free again, the dispute takes nothing more.
      await sut.apply({ kind: 'request-unstake', key: k(), address: d, amount: 1n }, at(5));
      await expectRefused(sut, { kind: 'liquidate', key: k(), disputeId: 'd1', address: b }, LedgerErrorCode.DISPUTE_CLOSED, 'disputeId');
      await expectRefused(
        sut,
        { kind: 'liquidate', key: k(), disputeId: 'nope', address: b },
        LedgerErrorCode.UNKNOWN_DISPUTE,
        'disputeId',
      );
      await sut.apply({ kind: 'open-dispute', key: k(), disputeId: 'd2', accused: b }, at(6));
      await expectRefused(
        sut,
        { kind: 'liquidate', key: k(), disputeId: 'd2', address: addr(0x99) },
        LedgerErrorCode.UNKNOWN_ACCOUNT,
        'address',
      );
      // Withdraw of a's old (liquidated) tranche: nothing left.
      await expectRefused(sut, { kind: 'withdraw', key: k(), address: a }, LedgerErrorCode.NOTHING_TO_WITHDRAW, 'address', at(1_000));
    });

    it('escrows a fee and pays it out once: submitter share, verifiers equally, remainder to treasury', async () => {
      await sut.apply(deposit(a, 10_000n), at(0));
      await sut.apply({ kind: 'escrow-fee', key: k(), taskId: 't1', client: a, amount: 1_000n }, at(0));
      expect(await sut.balance(accountId.escrow('t1'))).toBe(1_000n);
      await expectRefused(
        sut,
        { kind: 'payout-fee', key: k(), taskId: 't1', submitter: b, verifiers: [c], submitterShareBps: 10_001 },
        LedgerErrorCode.INVALID_COMMAND,
        'submitterShareBps',
      );
      await expectRefused(
        sut,
        { kind: 'payout-fee', key: k(), taskId: 't1', submitter: b, verifiers: [c, c], submitterShareBps: 5_000 },
        LedgerErrorCode.INVALID_COMMAND,
        'verifiers[1]',
      );
      await sut.apply({ kind: 'payout-fee', key: k(), taskId: 't1', submitter: b, verifiers: [c, d, a], submitterShareBps: 5_000 }, at(1));
      // 500 to the submitter; 500 / 3 = 166 each; 2 to the treasury.
      expect(await sut.balance(accountId.free(b))).toBe(500n);
      expect(await sut.balance(accountId.free(c))).toBe(166n);
      expect(await sut.balance(accountId.free(a))).toBe(9_000n + 166n);
      expect(await sut.balance(TREASURY)).toBe(2n);
      expect(await sut.balance(accountId.escrow('t1'))).toBe(0n);
      const again = { kind: 'payout-fee', key: k(), taskId: 't1', submitter: b, verifiers: [], submitterShareBps: 0 } as const;
      await expectRefused(sut, { ...again, verifiers: [] }, LedgerErrorCode.INSUFFICIENT_FUNDS, 'taskId');
      await expectRefused(sut, { ...again, taskId: 't-none', verifiers: [] }, LedgerErrorCode.UNKNOWN_ACCOUNT, 'taskId');

      await sut.apply({ kind: 'escrow-fee', key: k(), taskId: 't2', client: a, amount: 77n }, at(2));
      await sut.apply({ kind: 'payout-fee', key: k(), taskId: 't2', submitter: d, verifiers: [], submitterShareBps: 0 }, at(3));
      expect(await sut.balance(accountId.free(d))).toBe(166n + 77n);
    });

    it('applies a replayed key once, refuses it with other content, and does not burn keys of refused commands', async () => {
      const first = await sut.apply(deposit(a, 100n, 'dep-1'), at(0));
      // `sequence` is only for stores that number their entries (the Postgres test checks its value).
      expect({ ...first, sequence: undefined }).toEqual({
        applied: true,
        entries: [{ account: accountId.free(a), amount: 100n }],
        sequence: undefined,
      });
      const replay = await sut.apply(deposit(a, 100n, 'dep-1'), at(5));
      expect(replay).toEqual({ applied: false, entries: first.entries });
      expect(await sut.totalMinted()).toBe(100n);
      await expectRefused(sut, deposit(a, 101n, 'dep-1'), LedgerErrorCode.IDEMPOTENCY_CONFLICT, 'key');
      await expectRefused(sut, stake(a, 100n, 'dep-1'), LedgerErrorCode.IDEMPOTENCY_CONFLICT, 'key');

      await expectRefused(sut, stake(a, 150n, 'stk-1'), LedgerErrorCode.INSUFFICIENT_FUNDS, 'amount');
      await sut.apply(deposit(a, 50n), at(1));
      expect((await sut.apply(stake(a, 150n, 'stk-1'), at(2))).applied).toBe(true);
      expect(await sut.balance(accountId.stake(a))).toBe(150n);
    });

    it('applies a batch as the same commands one by one: chained balances, refusals, replays, conflicts, a key twice', async () => {
      await sut.apply(deposit(a, 1_000n, 'seed-a'), at(0));
      const escrow = (taskId: string, amount: bigint, key = k()): LedgerCommand => ({ kind: 'escrow-fee', key, taskId, client: a, amount });
      const refusedKey = k('refused');
      const batch: LedgerCommand[] = [
        escrow('t1', 600n),
        escrow('t2', 600n, refusedKey), // a has 400 left after t1: refused, and only this one
        deposit(b, 50n),
        stake(b, 50n), // needs the deposit just before it in the batch
        { kind: 'payout-fee', key: k(), taskId: 't1', submitter: c, verifiers: [d], submitterShareBps: 5_000 },
        deposit(a, 1_000n, 'seed-a'), // a replay of the seed
        deposit(a, 7n, 'seed-a'), // the seed's key with other content
        deposit('0x1234', 1n), // not an address
        { kind: 'open-dispute', key: k(), disputeId: 'd1', accused: d }, // outside the accounts-only set
        deposit(c, 5n, 'twice'),
        deposit(c, 5n, 'twice'), // the same key twice in one batch: applied once, then a replay
      ];
      const reference = new InMemoryLedger(TEST_RULES);
      await reference.apply(deposit(a, 1_000n, 'seed-a'), at(0));
      const expected = await reference.applyBatch(batch, at(1));
      const outcomes = await sut.applyBatch(batch, at(1));
      const shape = (o: BatchItemOutcome) =>
        o.ok ? { applied: o.outcome.applied, entries: o.outcome.entries } : { code: o.error.code, field: o.error.field };
      expect(outcomes.map(shape)).toEqual(expected.map(shape));
      expect(outcomes.map((o) => (o.ok ? (o.outcome.applied ? 'applied' : 'replay') : o.error.code))).toEqual([
        'applied',
        LedgerErrorCode.INSUFFICIENT_FUNDS,
        'applied',
        'applied',
        'applied',
        'replay',
        LedgerErrorCode.IDEMPOTENCY_CONFLICT,
        LedgerErrorCode.INVALID_ADDRESS,
        'applied',
        'applied',
        'replay',
      ]);
      expect((await snapshot(sut)).balances).toEqual((await snapshot(reference)).balances);
      expect(await sut.totalMinted()).toBe(await reference.totalMinted());
      // The refused command's key was not used up.
      await sut.apply(deposit(a, 200n), at(2));
      expect((await sut.apply(escrow('t2', 600n, refusedKey), at(3))).applied).toBe(true);
      expect(await sut.balance(accountId.free(a))).toBe(0n);
      // A batch of replays only changes nothing.
      const before = await snapshot(sut);
      expect(
        (await sut.applyBatch([batch[0] as LedgerCommand, batch[2] as LedgerCommand], at(4))).map((o) => o.ok && o.outcome.applied),
      ).toEqual([false, false]);
      expect(await snapshot(sut)).toEqual(before);
    });
  });
}
