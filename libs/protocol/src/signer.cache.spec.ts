import { secp256k1 } from '@noble/curves/secp256k1';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keccak256 } from './hash';
import { NodeKey, verifySignature } from './identity';
import { multiplyPublic, SignerCache } from './signer.cache';

const N = secp256k1.CURVE.n;
const alice = NodeKey.fromHex('0x' + '11'.repeat(32));
const bob = NodeKey.fromHex('0x' + '22'.repeat(32));

const toBig = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).toString('hex')}`);
const to32 = (x: bigint): Uint8Array => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));

/** Ways a signature can be wrong (or right) for the claimed address and digest. */
type Mutation =
  'none' | 'flip-v' | 'high-s-twin' | 'other-digest' | 'other-signer' | 'bit-flip' | 'v-out-of-range' | 'zero-r' | 'truncated';

function mutate(sig: Uint8Array, digest: Uint8Array, m: Mutation, bit: number): { sig: Uint8Array; digest: Uint8Array } {
  const out = Uint8Array.from(sig);
  switch (m) {
    case 'none':
      return { sig: out, digest };
    case 'flip-v':
      out[64] = (out[64] ?? 0) ^ 1;
      return { sig: out, digest };
    case 'high-s-twin': {
      // (r, n - s, v ^ 1) recovers to the same key: valid ECDSA, refused as malleable.
      out.set(to32(N - toBig(sig.subarray(32, 64))), 32);
      out[64] = (out[64] ?? 0) ^ 1;
      return { sig: out, digest };
    }
    case 'other-digest':
      return { sig: out, digest: keccak256(digest) };
    case 'other-signer':
      return { sig: bob.sign(digest), digest };
    case 'bit-flip':
      out[bit % 64] = (out[bit % 64] ?? 0) ^ (1 << (bit % 8));
      return { sig: out, digest };
    case 'v-out-of-range':
      out[64] = 27;
      return { sig: out, digest };
    case 'zero-r':
      out.fill(0, 0, 32);
      return { sig: out, digest };
    case 'truncated':
      return { sig: out.subarray(0, 64), digest };
  }
}

describe('multiplyPublic (the table walk signature checks use)', () => {
  it("equals noble's multiplication for G, a tabled key and a bare key, edge scalars included", () => {
    const G = secp256k1.ProjectivePoint.BASE;
    const tabled = secp256k1.ProjectivePoint.fromHex(secp256k1.getPublicKey(alice.privateKeyHex().slice(2), false)).precompute(6);
    const bare = secp256k1.ProjectivePoint.fromHex(secp256k1.getPublicKey(bob.privateKeyHex().slice(2), false));
    const scalar = fc.oneof(
      fc.bigInt({ min: 1n, max: N - 1n }),
      fc.constantFrom(0n, 1n, 2n, N - 1n, N - 2n, (N - 1n) / 2n, 1n << 128n, (1n << 128n) - 1n),
    );
    fc.assert(
      fc.property(scalar, fc.constantFrom(G, tabled, bare), (k, point) => {
        const expected = k === 0n ? secp256k1.ProjectivePoint.ZERO : point.multiply(k);
        expect(multiplyPublic(point, k).equals(expected)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

describe('SignerCache', () => {
  it('answers exactly as verifySignature does, on the slow (first) path and the cached path', () => {
    const mutations: Mutation[] = [
      'none',
      'flip-v',
      'high-s-twin',
      'other-digest',
      'other-signer',
      'bit-flip',
      'v-out-of-range',
      'zero-r',
      'truncated',
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.constantFrom(...mutations),
        fc.nat(511),
        fc.constantFrom('cold', 'key', 'table'),
        (digest, m, bit, path) => {
          // cold: recovery; key: alice's bare key is held; table: and its precomputed table.
          const sut = new SignerCache({ promoteAfter: 2 });
          for (let i = 0; i < (path === 'cold' ? 0 : path === 'key' ? 1 : 2); i++) {
            expect(sut.verify(keccak256(digest), alice.sign(keccak256(digest)), alice.address)).toBe(true);
          }
          expect(sut.size.tables).toBe(path === 'table' ? 1 : 0);
          const { sig, digest: d } = mutate(alice.sign(digest), digest, m, bit);
          expect(sut.verify(d, sig, alice.address)).toBe(verifySignature(d, sig, alice.address));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts valid and refuses tampered signatures of a cached signer', () => {
    const sut = new SignerCache();
    const d1 = keccak256(Uint8Array.of(1));
    const d2 = keccak256(Uint8Array.of(2));
    expect(sut.verify(d1, alice.sign(d1), alice.address)).toBe(true);
    expect(sut.verify(d2, alice.sign(d2), alice.address)).toBe(true);
    expect(sut.verify(d2, alice.sign(d1), alice.address)).toBe(false);
    expect(sut.verify(d2, bob.sign(d2), alice.address)).toBe(false);
    expect(sut.verify(d2, mutate(alice.sign(d2), d2, 'high-s-twin', 0).sig, alice.address)).toBe(false);
    expect(sut.verify(d2, alice.sign(d2), 'not an address')).toBe(false);
  });

  it('keeps at most `capacity` signers, dropping the least recently used, and still verifies dropped ones', () => {
    const sut = new SignerCache(1);
    const d = keccak256(Uint8Array.of(3));
    expect(sut.verify(d, alice.sign(d), alice.address)).toBe(true);
    expect(sut.verify(d, bob.sign(d), bob.address)).toBe(true);
    expect(sut.verify(d, alice.sign(d), alice.address)).toBe(true);
    expect(sut.verify(d, bob.sign(d), alice.address)).toBe(false);
    expect(() => new SignerCache(0)).toThrow('capacity');
    expect(() => new SignerCache({ tableCapacity: 0 })).toThrow('tableCapacity');
    expect(() => new SignerCache({ promoteAfter: 1.5 })).toThrow('promoteAfter');
  });

  it('builds a table only for an address checked promoteAfter times, and keeps at most tableCapacity', () => {
    const sut = new SignerCache({ promoteAfter: 3, tableCapacity: 1 });
    const d = keccak256(Uint8Array.of(4));
    const check = (k: NodeKey, times: number): void => {
      for (let i = 0; i < times; i++) expect(sut.verify(d, k.sign(d), k.address)).toBe(true);
    };
    check(alice, 2);
    expect(sut.size).toEqual({ keys: 1, tables: 0 });
    check(alice, 1);
    expect(sut.size).toEqual({ keys: 1, tables: 1 });
    // Bob earns a table too: alice, checked less recently, is demoted to her bare key.
    check(bob, 3);
    expect(sut.size).toEqual({ keys: 2, tables: 1 });
    // Demoted or not, the answers stay right.
    check(alice, 1);
    expect(sut.verify(d, bob.sign(d), alice.address)).toBe(false);
    expect(sut.verify(keccak256(d), alice.sign(d), alice.address)).toBe(false);
  });
});
