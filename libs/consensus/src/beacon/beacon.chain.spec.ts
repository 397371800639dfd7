import { fromHex, keccak256, NodeKey, toHex, utf8 } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { ConsensusError, ConsensusErrorCode } from '../consensus.errors';
import {
  assertBeaconChain,
  assertBeaconLink,
  BeaconChain,
  type BeaconLink,
  genesisBeacon,
  MAX_SEAL_SPAN,
  verifyBeaconLink,
} from './beacon.chain';

const control = NodeKey.fromHex(`0x${'11'.repeat(32)}`);
const other = NodeKey.fromHex(`0x${'22'.repeat(32)}`);
const digest = (i: number): Uint8Array => keccak256(utf8(`submission-${i}`));

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConsensusError);
    expect((e as ConsensusError).code).toBe(ConsensusErrorCode.INVALID_BEACON);
    return (e as ConsensusError).field;
  }
  return undefined;
}

describe('beacon chain', () => {
  it('beacon_i = keccak256(beacon_{i-1} || digest_i), from a per-network genesis', () => {
    const sut = BeaconChain.fromGenesis(control, 'devnet');
    const g = genesisBeacon('devnet');
    const l1 = sut.append(digest(1));
    const l2 = sut.append(digest(2));
    const b1 = keccak256(new Uint8Array([...g, ...digest(1)]));
    expect(l1).toMatchObject({ index: 1, prev: toHex(g), beacon: toHex(b1), signer: control.address });
    expect(l2.prev).toBe(l1.beacon);
    expect(l2.beacon).toBe(toHex(keccak256(new Uint8Array([...b1, ...digest(2)]))));
    expect(toHex(sut.head.beacon)).toBe(l2.beacon);
    expect(genesisBeacon('testnet')).not.toEqual(g);
  });

  it('anyone can verify a link and a run of links against the control-plane address', () => {
    const sut = BeaconChain.fromGenesis(control, 'devnet');
    const links = [1, 2, 3].map((i) => sut.append(digest(i)));
    for (const l of links) expect(verifyBeaconLink(l, control.address)).toBe(true);
    const head = assertBeaconChain(links, control.address, { index: 0, beacon: genesisBeacon('devnet') });
    expect(head.index).toBe(3);
  });

  it('rejects tampering, a foreign signer, and a link that does not extend the head, naming the field', () => {
    const sut = BeaconChain.fromGenesis(control, 'devnet');
    const l1 = sut.append(digest(1));
    const l2 = sut.append(digest(2));
    const genesis = { index: 0, beacon: genesisBeacon('devnet') };
    const forged = BeaconChain.fromGenesis(other, 'devnet').append(digest(1));
    const flip = (h: string): string => `${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}`;
    const cases: [BeaconLink, string][] = [
      [{ ...l1, submissionDigest: toHex(digest(9)) }, 'beacon'],
      [{ ...l1, beacon: flip(l1.beacon) }, 'beacon'],
      [{ ...l1, index: 5 }, 'signature'],
      [{ ...l1, signature: flip(l1.signature.slice(0, -2)) + l1.signature.slice(-2) }, 'signature'],
      [{ ...l1, signature: '0x1234' }, 'signature'],
      [{ ...forged }, 'signer'],
      [{ ...forged, signer: control.address }, 'signature'],
      [{ ...l1, prev: 'zz' }, 'prev'],
    ];
    for (const [link, field] of cases) {
      expect(verifyBeaconLink(link, control.address)).toBe(false);
      expect(fieldOf(() => assertBeaconLink(link, control.address))).toBe(field);
    }
    expect(fieldOf(() => assertBeaconLink(l2, control.address, genesis))).toBe('index');
    expect(fieldOf(() => assertBeaconChain([l2, l1], control.address, genesis))).toBe('index');
  });

  it('resumes from a stored head and keeps extending the same chain', () => {
    const a = BeaconChain.fromGenesis(control, 'devnet');
    a.append(digest(1));
    const resumed = new BeaconChain(control, a.head);
    expect(resumed.append(digest(2))).toEqual(a.append(digest(2)));
  });

  it('seals links extended together with one signature per run; each link verifies alone and the chain verifies whole', () => {
    const sut = BeaconChain.fromGenesis(control, 'devnet');
    const pending = [1, 2, 3, 4, 5].map((i) => sut.extend(digest(i)));
    const sealed = sut.seal(2);
    // The same values as links appended one by one.
    const reference = BeaconChain.fromGenesis(control, 'devnet');
    expect(sealed.map((l) => l.beacon)).toEqual([1, 2, 3, 4, 5].map((i) => reference.append(digest(i)).beacon));
    expect(sealed.map(({ index, prev, submissionDigest, beacon, signer }) => ({ index, prev, submissionDigest, beacon, signer }))).toEqual(
      pending,
    );
    // Runs of two: links 2, 4 and 5 signed; 1 and 3 point to the next.
    expect(sealed.map((l) => l.sealedBy ?? [])).toEqual([[toHex(digest(2))], [], [toHex(digest(4))], [], []]);
    expect(new Set(sealed.map((l) => l.signature)).size).toBe(3);
    for (const l of sealed) expect(verifyBeaconLink(l, control.address)).toBe(true);
    assertBeaconChain(sealed, control.address, { index: 0, beacon: genesisBeacon('devnet') });
    // Default span: one signature for all five; the chain then goes on from the sealed head.
    const again = BeaconChain.fromGenesis(control, 'devnet');
    [1, 2, 3, 4, 5].forEach((i) => again.extend(digest(i)));
    const one = again.seal();
    expect(new Set(one.map((l) => l.signature)).size).toBe(1);
    expect(one[0]?.sealedBy).toHaveLength(4);
    expect(verifyBeaconLink(again.append(digest(6)), control.address, { index: 5, beacon: fromHex(one[4]!.beacon, 32) })).toBe(true);
  });

  it('rejects a sealed link whose path or signature was tampered with, naming the field', () => {
    const sut = BeaconChain.fromGenesis(control, 'devnet');
    [1, 2, 3].forEach((i) => sut.extend(digest(i)));
    const [first] = sut.seal();
    const cases: [BeaconLink, string][] = [
      [{ ...first!, sealedBy: [toHex(digest(9)), ...first!.sealedBy!.slice(1)] }, 'signature'],
      [{ ...first!, sealedBy: first!.sealedBy!.slice(0, 1) }, 'signature'],
      [{ ...first!, sealedBy: [] }, 'signature'],
      [{ ...first!, sealedBy: ['0x12'] }, 'sealedBy[0]'],
      [{ ...first!, sealedBy: Array.from({ length: MAX_SEAL_SPAN }, (_, i) => toHex(digest(i))) }, 'sealedBy'],
    ];
    for (const [link, field] of cases) expect(fieldOf(() => assertBeaconLink(link, control.address))).toBe(field);
    expect(() => sut.seal(MAX_SEAL_SPAN + 1)).toThrow(ConsensusError);
    sut.extend(digest(4));
    expect(() => sut.append(digest(5))).toThrow(ConsensusError);
  });
});
