import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryLedger } from '../memory/in-memory.ledger';
import { addr, at, TEST_RULES } from '../testing/ledger.fixtures';
import type { LedgerCommand } from './ledger.commands';
import { LedgerError } from './ledger.errors';
import { planCommand, planReads } from './ledger.rules';

const ADDRS = [1, 2, 3, 4, 5].map(addr);
const DISPUTES = ['d1', 'd2'];
const TASKS = ['t1', 't2', 't3'];

const address = fc.constantFrom(...ADDRS);
const amount = fc.bigInt({ min: 1n, max: 5_000n });
const subset = fc.subarray(ADDRS);

/** Commands over few accounts so that sequences collide: refusals, disputes and replays all happen. */
const command: fc.Arbitrary<Omit<LedgerCommand, 'key'>> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), address, amount }),
  fc.record({ kind: fc.constant('stake' as const), address, amount }),
  fc.record({ kind: fc.constant('request-unstake' as const), address, amount }),
  fc.record({ kind: fc.constant('withdraw' as const), address }),
  fc.record({ kind: fc.constant('open-dispute' as const), disputeId: fc.constantFrom(...DISPUTES), accused: address }),
  fc.record({ kind: fc.constant('join-dispute' as const), disputeId: fc.constantFrom(...DISPUTES), address }),
  fc.record({ kind: fc.constant('liquidate' as const), disputeId: fc.constantFrom(...DISPUTES), address }),
  fc.record({ kind: fc.constant('distribute-pool' as const), disputeId: fc.constantFrom(...DISPUTES), winners: subset }),
  fc.record({ kind: fc.constant('escrow-fee' as const), taskId: fc.constantFrom(...TASKS), client: address, amount }),
  fc.record({
    kind: fc.constant('payout-fee' as const),
    taskId: fc.constantFrom(...TASKS),
    submitter: address,
    verifiers: subset,
    submitterShareBps: fc.integer({ min: 0, max: 10_000 }),
  }),
);

/** A step: a command, the seconds elapsed before it, and whether it reuses an earlier key. */
const steps = fc.array(fc.record({ command, dt: fc.integer({ min: 0, max: 40 }), reuse: fc.nat({ max: 9 }) }), {
  minLength: 1,
  maxLength: 80,
});

describe('ledger rules (property)', () => {
  it('every sequence keeps sum == minted, never goes negative, and the store applies exactly the plan', () => {
    fc.assert(
      fc.property(steps, (seq) => {
        const sut = new InMemoryLedger(TEST_RULES);
        const used: { key: string; cmd: LedgerCommand }[] = [];
        let t = 0;
        seq.forEach((step, i) => {
          t += step.dt;
          const now = at(t);
          // reuse 0: an earlier key with this step's (usually different) content; reuse 1: an exact replay.
          const earlier = used.length > 0 && step.reuse <= 1 ? used[i % used.length] : undefined;
          const cmd: LedgerCommand =
            earlier && step.reuse === 1 ? earlier.cmd : ({ ...step.command, key: earlier?.key ?? `s${i}` } as LedgerCommand);
          const before = snapshot(sut);

          let planned: ReturnType<typeof planCommand> | LedgerError;
          try {
            planned = planCommand(cmd, sut.planView, now, TEST_RULES);
          } catch (err) {
            if (!(err instanceof LedgerError)) throw err;
            planned = err;
          }

          let outcome: Awaited<ReturnType<InMemoryLedger['applySync']>> | LedgerError;
          try {
            outcome = sut.applySync(cmd, now);
          } catch (err) {
            if (!(err instanceof LedgerError)) throw err;
            outcome = err;
          }

          const after = snapshot(sut);
          if (outcome instanceof LedgerError || !outcome.applied) {
            // Refused or replayed: nothing moved.
            expect(after).toEqual(before);
          } else {
            expect(planned).not.toBeInstanceOf(LedgerError);
            expect(outcome.entries).toEqual(planned);
            used.push({ key: cmd.key, cmd });
            // Balances moved by exactly the postings, and only on accounts the store was told to lock.
            const reads = planReads(cmd);
            const locked = new Set(reads.accounts);
            const delta = new Map<string, bigint>();
            for (const p of outcome.entries) {
              // Debits only from accounts locked up front; unlocked ones may only be credited.
              if (p.amount < 0n) expect(locked.has(p.account)).toBe(true);
              else expect(locked.has(p.account) || reads.creditOnly.includes(p.account)).toBe(true);
              delta.set(p.account, (delta.get(p.account) ?? 0n) + p.amount);
            }
            for (const id of new Set([...before.keys(), ...after.keys()])) {
              expect((after.get(id) ?? 0n) - (before.get(id) ?? 0n)).toBe(delta.get(id) ?? 0n);
            }
          }
          // A known key never applies twice: an exact replay is a no-op, other content a conflict.
          if (earlier && !(outcome instanceof LedgerError)) expect(outcome.applied).toBe(false);
          if (earlier && step.reuse === 1) expect(outcome).not.toBeInstanceOf(LedgerError);
          const report = sut.checkInvariantSync();
          expect(report.negative).toEqual([]);
          expect(report.sum).toBe(report.minted);
        });
      }),
      { numRuns: 300 },
    );
  });
});

function snapshot(ledger: InMemoryLedger): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const id of knownAccounts) {
    const v = ledger.planView.balance(id);
    if (v !== undefined) out.set(id, v);
  }
  return out;
}

const knownAccounts = [
  'treasury',
  ...ADDRS.flatMap((a) => [`free:${a}`, `stake:${a}`, `unbonding:${a}`]),
  ...DISPUTES.map((d) => `pool:${d}`),
  ...TASKS.map((t) => `escrow:${t}`),
];
