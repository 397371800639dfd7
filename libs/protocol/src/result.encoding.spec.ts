import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Probe } from './asli.probes';
import { equalBytes } from './bytes';
import { NodeKey } from './identity';
import { encodeResult, resultDigest, signResult, verifySignedResult, type AsliResult } from './result.encoding';
import { SignerCache } from './signer.cache';

const node = NodeKey.generate();
const other = NodeKey.generate();
const probeArb: fc.Arbitrary<Probe> = fc.record({
  layer: fc.integer({ min: 0, max: 0xffff }),
  position: fc.nat(),
  index: fc.nat(),
  value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
});
const resultArb: fc.Arbitrary<AsliResult> = fc.record({
  taskHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  node: fc.constantFrom(node.address, other.address),
  tokens: fc.array(fc.nat({ max: 200_000 }), { maxLength: 12 }),
  probes: fc.array(probeArb, { maxLength: 4 }),
});

function sameResult(a: AsliResult, b: AsliResult): boolean {
  return (
    equalBytes(a.taskHash, b.taskHash) && a.node === b.node && JSON.stringify([a.tokens, a.probes]) === JSON.stringify([b.tokens, b.probes])
  );
}

describe('result encoding', () => {
  it('is injective on random pairs', () => {
    fc.assert(
      fc.property(resultArb, resultArb, (a, b) => {
        expect(equalBytes(encodeResult(a), encodeResult(b))).toBe(sameResult(a, b));
      }),
    );
  });

  it('binds the digest to the task and the node', () => {
    fc.assert(
      fc.property(resultArb, (r) => {
        const otherTask = Uint8Array.from(r.taskHash);
        otherTask[0] = (otherTask[0] as number) ^ 1;
        expect(equalBytes(resultDigest(r), resultDigest({ ...r, taskHash: otherTask }))).toBe(false);
        const otherNode = r.node === node.address ? other.address : node.address;
        expect(equalBytes(resultDigest(r), resultDigest({ ...r, node: otherNode }))).toBe(false);
      }),
    );
  });

  it('rejects probe fields outside their wire types', () => {
    const base: AsliResult = { taskHash: new Uint8Array(32), node: node.address, tokens: [], probes: [] };
    const probe: Probe = { layer: 0, position: 0, index: 0, value: 0 };
    expect(() => encodeResult({ ...base, probes: [{ ...probe, layer: 65536 }] })).toThrow(
      expect.objectContaining({ field: 'probes.layer' }),
    );
    expect(() => encodeResult({ ...base, probes: [{ ...probe, value: 2 ** 31 }] })).toThrow(
      expect.objectContaining({ field: 'probes.value' }),
    );
    expect(() => encodeResult({ ...base, tokens: [-1] })).toThrow(expect.objectContaining({ field: 'tokens' }));
  });
});

describe('signed results', () => {
  it('verify when untouched and fail when any part is altered', () => {
    fc.assert(
      fc.property(resultArb, fc.nat({ max: 64 }), (r, pos) => {
        const key = r.node === node.address ? node : other;
        const s = signResult(r, key);
        expect(verifySignedResult(s)).toBe(true);
        expect(verifySignedResult({ ...s, result: { ...r, tokens: [...r.tokens, 1] } })).toBe(false);
        const sig = Uint8Array.from(s.signature);
        sig[pos] = (sig[pos] as number) ^ 0x40;
        expect(verifySignedResult({ ...s, signature: sig })).toBe(false);
        // Claiming another node's result: same content, other node named, original signature.
        const thief = r.node === node.address ? other.address : node.address;
        expect(verifySignedResult({ ...s, result: { ...r, node: thief } })).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('give the same answers through a cache of known signers (first and later signatures of a node)', () => {
    const signers = new SignerCache();
    fc.assert(
      fc.property(resultArb, fc.nat({ max: 64 }), (r, pos) => {
        const key = r.node === node.address ? node : other;
        const s = signResult(r, key);
        const sig = Uint8Array.from(s.signature);
        sig[pos] = (sig[pos] as number) ^ 0x40;
        const thief = r.node === node.address ? other.address : node.address;
        for (const candidate of [
          s,
          { ...s, signature: sig },
          { ...s, result: { ...r, node: thief } },
          { ...s, result: { ...r, tokens: [...r.tokens, 1] } },
        ]) {
          expect(verifySignedResult(candidate, signers)).toBe(verifySignedResult(candidate));
        }
        expect(verifySignedResult(s, signers)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses to sign a result for another node', () => {
    const r: AsliResult = { taskHash: new Uint8Array(32), node: other.address, tokens: [], probes: [] };
    expect(() => signResult(r, node)).toThrow(expect.objectContaining({ field: 'node' }));
  });

  it('treats a malformed result as unverified rather than throwing', () => {
    const s = signResult({ taskHash: new Uint8Array(32), node: node.address, tokens: [], probes: [] }, node);
    expect(verifySignedResult({ ...s, result: { ...s.result, taskHash: new Uint8Array(3) } })).toBe(false);
  });
});
