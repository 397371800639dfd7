import { disableFastKeccak, enableFastKeccak } from '@aegis/protocol';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { commandContentHash, type LedgerCommand } from '../core/ledger.commands';
import { storedContentHash } from './pg.content-hash';

const hex40 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
const ref = fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/);
const amount = fc.bigInt({ min: 1n, max: 10n ** 78n - 1n });
const key = fc.string({ minLength: 1, maxLength: 200 });
const addresses = fc.uniqueArray(hex40, { maxLength: 12 });

const command: fc.Arbitrary<LedgerCommand> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), key, address: hex40, amount }),
  fc.record({ kind: fc.constant('request-unstake' as const), key, address: hex40, amount }),
  fc.record({ kind: fc.constant('withdraw' as const), key, address: hex40 }),
  fc.record({ kind: fc.constant('liquidate' as const), key, disputeId: ref, address: hex40 }),
  fc.record({ kind: fc.constant('distribute-pool' as const), key, disputeId: ref, winners: addresses }),
  fc.record({ kind: fc.constant('escrow-fee' as const), key, taskId: ref, client: hex40, amount }),
  fc.record({
    kind: fc.constant('payout-fee' as const),
    key,
    taskId: ref,
    submitter: hex40,
    verifiers: addresses,
    submitterShareBps: fc.integer({ min: 0, max: 10_000 }),
  }),
);

// The stored hash decides replay vs IDEMPOTENCY_CONFLICT for keys written by any version of the
// ledger, so the WebAssembly path must give exactly the reference bytes.
describe('storedContentHash', () => {
  afterAll(() => disableFastKeccak());

  it('equals commandContentHash (pure-JS Keccak) with the WebAssembly Keccak enabled and disabled', async () => {
    for (const fast of [false, true]) {
      if (fast) await enableFastKeccak();
      else disableFastKeccak();
      fc.assert(
        fc.property(command, (cmd) => {
          expect(storedContentHash(cmd)).toBe(commandContentHash(cmd));
        }),
        { numRuns: 300 },
      );
    }
  });

  it('depends on the content but not on the key', () => {
    const base: LedgerCommand = { kind: 'withdraw', key: 'a', address: `0x${'11'.repeat(20)}` };
    expect(storedContentHash({ ...base, key: 'b' })).toBe(storedContentHash(base));
    expect(storedContentHash({ ...base, address: `0x${'12'.repeat(20)}` })).not.toBe(storedContentHash(base));
    expect(storedContentHash(base)).toMatch(/^0x[0-9a-f]{64}$/);
  });
});
