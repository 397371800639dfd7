import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes } from './bytes';
import { NodeKey } from './identity';
import { encodeVerdict, signVerdict, VerdictKind, verifySignedVerdict, type Verdict } from './verdict.encoding';

const key = NodeKey.generate();
const verdictArb: fc.Arbitrary<Verdict> = fc.record({
  submissionDigest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  verifier: fc.constant(key.address),
  kind: fc.constantFrom(VerdictKind.ACCEPT, VerdictKind.REJECT),
  nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  values: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 8 }),
});

function same(a: Verdict, b: Verdict): boolean {
  return (
    equalBytes(a.submissionDigest, b.submissionDigest) &&
    a.verifier === b.verifier &&
    a.kind === b.kind &&
    a.nonce === b.nonce &&
    JSON.stringify(a.values) === JSON.stringify(b.values)
  );
}

describe('verdict encoding', () => {
  it('is injective on random pairs', () => {
    fc.assert(
      fc.property(verdictArb, verdictArb, (a, b) => {
        expect(equalBytes(encodeVerdict(a), encodeVerdict(b))).toBe(same(a, b));
      }),
    );
  });

  it('rejects an unknown kind and out-of-range nonce', () => {
    const v: Verdict = { submissionDigest: new Uint8Array(32), verifier: key.address, kind: VerdictKind.ACCEPT, nonce: 0n, values: [] };
    expect(() => encodeVerdict({ ...v, kind: 'MAYBE' as VerdictKind })).toThrow(expect.objectContaining({ field: 'kind' }));
    expect(() => encodeVerdict({ ...v, nonce: 1n << 64n })).toThrow(expect.objectContaining({ field: 'nonce' }));
  });
});

describe('signed verdicts', () => {
  it('verify untouched and fail when the kind is flipped or the verifier swapped', () => {
    const stranger = NodeKey.generate();
    fc.assert(
      fc.property(verdictArb, (v) => {
        const s = signVerdict(v, key);
        expect(verifySignedVerdict(s)).toBe(true);
        const flipped = v.kind === VerdictKind.ACCEPT ? VerdictKind.REJECT : VerdictKind.ACCEPT;
        expect(verifySignedVerdict({ ...s, verdict: { ...v, kind: flipped } })).toBe(false);
        expect(verifySignedVerdict({ ...s, verdict: { ...v, verifier: stranger.address } })).toBe(false);
      }),
      { numRuns: 40 },
    );
    expect(() =>
      signVerdict(
        { submissionDigest: new Uint8Array(32), verifier: key.address, kind: VerdictKind.ACCEPT, nonce: 0n, values: [] },
        stranger,
      ),
    ).toThrow(expect.objectContaining({ field: 'verifier' }));
  });
});
