import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes';
import { keccak256 } from './hash';
import { addressBytes, addressFromPublicKey, isAddress, NodeKey, recoverAddress, verifySignature } from './identity';
import { ProtocolError, ProtocolErrorCode } from './protocol.errors';

const keys = [NodeKey.generate(), NodeKey.generate(), NodeKey.fromHex('0x01'.padEnd(66, '0'))];
const keyArb = fc.constantFrom(...keys);
const digestArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const SECP_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe('NodeKey', () => {
  it('round-trips through its private key hex and derives a canonical address', () => {
    for (const key of keys) {
      const again = NodeKey.fromHex(key.privateKeyHex());
      expect(again.address).toBe(key.address);
      expect(isAddress(key.address)).toBe(true);
      expect(addressFromPublicKey(key.publicKey)).toBe(key.address);
      expect(JSON.stringify(key)).not.toContain(key.privateKeyHex().slice(2));
    }
  });

  it('rejects keys that are not secp256k1 scalars', () => {
    for (const bad of ['0x' + '00'.repeat(32), '0x' + SECP_N.toString(16), '0x1234', 'zz'.repeat(32)]) {
      expect(() => NodeKey.fromHex(bad)).toThrow(ProtocolError);
    }
  });

  it('signs low-s with v in {0, 1}, deterministically', () => {
    fc.assert(
      fc.property(keyArb, digestArb, (key, digest) => {
        const sig = key.sign(digest);
        expect(sig.length).toBe(65);
        expect([0, 1]).toContain(sig[64]);
        const s = BigInt(toHex(sig.subarray(32, 64)));
        expect(s <= SECP_N / 2n).toBe(true);
        expect(toHex(key.sign(digest))).toBe(toHex(sig));
        expect(recoverAddress(digest, sig)).toBe(key.address);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses to sign anything but a 32-byte digest', () => {
    expect(() => keys[0]?.sign(new Uint8Array(31))).toThrow(expect.objectContaining({ field: 'digest' }));
  });
});

describe('verifySignature', () => {
  it('is false for a tampered digest, signature or address, and never throws', () => {
    fc.assert(
      fc.property(keyArb, keyArb, digestArb, fc.nat({ max: 64 }), fc.integer({ min: 1, max: 255 }), (key, other, digest, pos, flip) => {
        const sig = key.sign(digest);
        expect(verifySignature(digest, sig, key.address)).toBe(true);

        const badDigest = Uint8Array.from(digest);
        badDigest[pos % 32] = (badDigest[pos % 32] as number) ^ flip;
        expect(verifySignature(badDigest, sig, key.address)).toBe(false);

        const badSig = Uint8Array.from(sig);
        badSig[pos] = (badSig[pos] as number) ^ flip;
        expect(verifySignature(digest, badSig, key.address)).toBe(false);

        if (other.address !== key.address) expect(verifySignature(digest, sig, other.address)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects the high-s twin of a valid signature (malleability)', () => {
    const key = keys[0] as NodeKey;
    const digest = keccak256(new Uint8Array([1]));
    const sig = key.sign(digest);
    const s = BigInt(toHex(sig.subarray(32, 64)));
    const twin = Uint8Array.from(sig);
    twin.set(fromHex((SECP_N - s).toString(16).padStart(64, '0'), 32), 32);
    twin[64] = (sig[64] as number) ^ 1;
    expect(verifySignature(digest, twin, key.address)).toBe(false);
    expect(() => recoverAddress(digest, twin)).toThrow(expect.objectContaining({ code: ProtocolErrorCode.BAD_SIGNATURE }));
  });

  it('returns false on garbage of any shape', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 40 }), fc.string(), (sig, digest, address) => {
        expect(verifySignature(digest, sig, address)).toBe(false);
      }),
    );
    const key = keys[0] as NodeKey;
    const digest = new Uint8Array(32);
    expect(verifySignature(digest, key.sign(digest), key.address.toUpperCase())).toBe(false);
  });
});

describe('addressBytes', () => {
  it('accepts only lowercase 0x + 40 hex', () => {
    expect(addressBytes('0x' + 'ab'.repeat(20)).length).toBe(20);
    for (const bad of ['0x' + 'AB'.repeat(20), 'ab'.repeat(20), '0x' + 'ab'.repeat(19)]) {
      expect(() => addressBytes(bad)).toThrow(expect.objectContaining({ field: 'address' }));
    }
  });
});
