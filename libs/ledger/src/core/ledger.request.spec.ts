import { keccak256, NodeKey } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { InMemoryLedger } from '../memory/in-memory.ledger';
import { signStakeRequest, stakeRequestDigest, type StakeRequest } from '../signing/stake-request.signing';
import { TEST_RULES, T0 } from '../testing/ledger.fixtures';
import { LedgerError, LedgerErrorCode } from './ledger.errors';
import { encodeLedgerRequest, verifyLedgerRequest } from './ledger.request';

const alice = NodeKey.fromHex(`0x${'11'.repeat(32)}`);
const mallory = NodeKey.fromHex(`0x${'33'.repeat(32)}`);

function refusal(fn: () => unknown): { code: LedgerErrorCode; field: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof LedgerError) return { code: err.code, field: err.field };
    throw err;
  }
  return undefined;
}

describe('signed ledger requests', () => {
  const stake: StakeRequest = { method: 'stake', address: alice.address, amount: '10000', idempotencyKey: 'k1' };

  it('encodes the documented layout: u32-prefixed domain, method, raw address, amount, key', () => {
    const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const str = (s: string) => [...u32(Buffer.byteLength(s)), ...Buffer.from(s)];
    const expected = Uint8Array.from([
      ...str('aegis/ledger-request/v1'),
      ...str('stake'),
      ...Buffer.from(alice.address.slice(2), 'hex'),
      ...str('10000'),
      ...str('k1'),
    ]);
    expect(encodeLedgerRequest(stake)).toEqual(expected);
    expect(keccak256(expected)).toEqual(stakeRequestDigest(stake));
  });

  it('verifies the signer and refuses anyone else, or any altered field, with BAD_SIGNATURE', () => {
    const sig = signStakeRequest(stake, alice);
    expect(() => verifyLedgerRequest(stake, sig)).not.toThrow();
    const bad = { code: LedgerErrorCode.BAD_SIGNATURE, field: 'signature' };
    const forged: StakeRequest = { ...stake, address: mallory.address };
    expect(refusal(() => verifyLedgerRequest(forged, signStakeRequest(stake, alice)))).toEqual(bad);
    expect(refusal(() => verifyLedgerRequest({ ...stake, amount: '10001' }, sig))).toEqual(bad);
    expect(refusal(() => verifyLedgerRequest({ ...stake, idempotencyKey: 'k2' }, sig))).toEqual(bad);
    expect(refusal(() => verifyLedgerRequest({ ...stake, method: 'deposit' }, sig))).toEqual(bad);
    expect(refusal(() => verifyLedgerRequest(stake, sig.slice(0, 64)))).toEqual(bad);
    const flipped = sig.slice();
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(refusal(() => verifyLedgerRequest(stake, flipped))).toEqual(bad);
  });

  it('names the bad field of a malformed request before looking at the signature', () => {
    const sig = signStakeRequest(stake, alice);
    expect(refusal(() => verifyLedgerRequest({ ...stake, amount: '-1' }, sig))?.field).toBe('amount');
    expect(refusal(() => verifyLedgerRequest({ ...stake, amount: '0' }, sig))?.code).toBe(LedgerErrorCode.INVALID_AMOUNT);
    expect(refusal(() => verifyLedgerRequest({ ...stake, address: alice.address.toUpperCase().replace('0X', '0x') }, sig))?.field).toBe(
      'address',
    );
    expect(refusal(() => verifyLedgerRequest({ ...stake, idempotencyKey: '' }, sig))?.field).toBe('idempotencyKey');
    const withdrawWithAmount = { method: 'withdraw', address: alice.address, amount: '5', idempotencyKey: 'w' } as unknown as StakeRequest;
    expect(refusal(() => verifyLedgerRequest(withdrawWithAmount, sig))?.field).toBe('amount');
    expect(refusal(() => verifyLedgerRequest({ ...stake, method: 'mint' } as unknown as StakeRequest, sig))?.field).toBe('method');
  });

  it('a request refused for its signature changes nothing in the ledger', async () => {
    const sut = new InMemoryLedger(TEST_RULES);
    const deposit: StakeRequest = { method: 'deposit', address: alice.address, amount: '500', idempotencyKey: 'd1' };
    const sig = signStakeRequest(deposit, alice);
    const edge = async (request: StakeRequest, signature: Uint8Array) => {
      verifyLedgerRequest(request, signature);
      if (request.method === 'withdraw') throw new Error('not used here');
      return sut.apply({ kind: request.method, key: request.idempotencyKey, address: request.address, amount: BigInt(request.amount) }, T0);
    };
    await expect(edge({ ...deposit, amount: '5000' }, sig)).rejects.toMatchObject({ code: LedgerErrorCode.BAD_SIGNATURE });
    expect(await sut.balances()).toEqual(new Map());
    expect((await sut.checkInvariant()).minted).toBe(0n);
    await edge(deposit, sig);
    expect(await sut.totalMinted()).toBe(500n);
  });
});
