import { NodeKey } from '@aegis/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStakeRequestSignedBy, signStakeRequest, stakeRequestDigest, type StakeRequest } from './stake-request.signing';

const alice = NodeKey.fromHex('0x' + '11'.repeat(32));
const bob = NodeKey.fromHex('0x' + '22'.repeat(32));

describe('stake request signing', () => {
  const stake: StakeRequest = { method: 'stake', address: alice.address, amount: '10000', idempotencyKey: 'k1' };

  it('accepts the signer and nobody else', () => {
    const sig = signStakeRequest(stake, alice);
    expect(isStakeRequestSignedBy(stake, sig)).toBe(true);
    expect(isStakeRequestSignedBy({ ...stake, address: bob.address }, sig)).toBe(false);
    expect(isStakeRequestSignedBy(stake, sig.slice(0, 64))).toBe(false);
  });

  it('refuses to sign for another address', () => {
    expect(() => signStakeRequest({ ...stake, address: bob.address }, alice)).toThrow(/address/);
  });

  it('any change of method, amount or key invalidates the signature', () => {
    const sig = signStakeRequest(stake, alice);
    fc.assert(
      fc.property(
        fc.constantFrom('deposit', 'stake', 'request-unstake'),
        fc.bigInt({ min: 1n, max: 10n ** 30n }).map(String),
        fc.string({ minLength: 1, maxLength: 20 }),
        (method, amount, idempotencyKey) => {
          const other: StakeRequest = { method, address: alice.address, amount, idempotencyKey };
          const same = method === stake.method && amount === stake.amount && idempotencyKey === stake.idempotencyKey;
          expect(isStakeRequestSignedBy(other, sig)).toBe(same);
        },
      ),
    );
  });

  it('length prefixes keep amount and key from sliding into each other', () => {
    const a = stakeRequestDigest({ method: 'stake', address: alice.address, amount: '1', idempotencyKey: '23' });
    const b = stakeRequestDigest({ method: 'stake', address: alice.address, amount: '12', idempotencyKey: '3' });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});
