import { fromHex, keccak256, NodeKey, utf8 } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { assertBeaconChain, BeaconChain, beaconOf, genesisBeacon } from '../beacon/beacon.chain';
import { verifyAnnouncedBeacon } from '../beacon/announced.beacon';
import { addr } from '../testing/consensus.fixtures';
import { drawCommittee } from './committee.draw';
import { type StakedNode, selectVerifiers } from './verifier.lottery';

const control = NodeKey.fromHex(`0x${'11'.repeat(32)}`);
const digest = (i: number): Uint8Array => keccak256(utf8(`submission-${i}`));
const SUBMITTER = addr(1);
// Ten equal stakes, k = 1: each draw is empty with probability (1 - 1/10)^9 ~ 39% (submitter excluded ~ 35%+).
const nodes: StakedNode[] = Array.from({ length: 10 }, (_, i) => ({ address: addr(i + 1), stake: 100n }));

describe('drawCommittee (empty committees are redrawn)', () => {
  it('redraws exactly while the committee is empty, bounded, and every link verifies as announced', () => {
    let redrawn = 0;
    let exhausted = 0;
    for (let i = 0; i < 200; i++) {
      const chain = BeaconChain.fromGenesis(control, 'redraw');
      const d = digest(i);
      const draw = drawCommittee((x) => chain.append(x), d, SUBMITTER, nodes, 1, 2);
      expect(draw.links.length).toBeGreaterThanOrEqual(1);
      expect(draw.links.length).toBeLessThanOrEqual(3);
      // Every link but the last drew nobody; the last drew the returned committee.
      draw.links.forEach((link, j) => {
        const c = selectVerifiers(nodes, beaconOf(link), 1).filter((v) => v !== SUBMITTER);
        if (j < draw.links.length - 1) expect(c).toEqual([]);
        else expect(c).toEqual(draw.committee);
        expect(link.submissionDigest).toBe(`0x${Buffer.from(d).toString('hex')}`);
        const announced = {
          height: BigInt(link.index),
          value: fromHex(link.beacon, 32),
          previous: fromHex(link.prev, 32),
          signature: fromHex(link.signature, 65),
        };
        expect(verifyAnnouncedBeacon(announced, d, control.address)).toBe(true);
      });
      // The links form a valid chain from genesis.
      assertBeaconChain(draw.links, control.address, { index: 0, beacon: genesisBeacon('redraw') });
      if (draw.links.length > 1) redrawn++;
      if (draw.committee.length === 0) {
        exhausted++;
        expect(draw.links).toHaveLength(3);
      }
    }
    // The fixture must exercise both paths, or the assertions above prove little.
    expect(redrawn).toBeGreaterThan(20);
    expect(exhausted).toBeLessThan(redrawn);
  });

  it('is deterministic: the same chain state and stakes give the same links and committee', () => {
    const run = () => {
      const chain = BeaconChain.fromGenesis(control, 'det');
      return drawCommittee((x) => chain.append(x), digest(7), SUBMITTER, nodes, 1, 3);
    };
    expect(run()).toEqual(run());
  });

  it('with k = 3 over 100 nodes, redraws cut unchecked submissions from ~5% to ~0', () => {
    const many: StakedNode[] = Array.from({ length: 100 }, (_, i) => ({ address: addr(i + 1), stake: BigInt(100 * (1 + (i % 9))) }));
    let emptyFirst = 0;
    let emptyAfter = 0;
    const chain = BeaconChain.fromGenesis(control, 'k3');
    for (let i = 0; i < 250; i++) {
      const draw = drawCommittee((x) => chain.append(x), digest(i), SUBMITTER, many, 3);
      if (selectVerifiers(many, beaconOf(draw.links[0]!), 3).filter((v) => v !== SUBMITTER).length === 0) emptyFirst++;
      if (draw.committee.length === 0) emptyAfter++;
    }
    expect(emptyFirst).toBeGreaterThan(3); // ~e^-3 * 250 ~ 12
    expect(emptyAfter).toBe(0);
  });

  it('refuses a negative bound naming the field', () => {
    expect(() => drawCommittee((x) => BeaconChain.fromGenesis(control, 'x').append(x), digest(1), SUBMITTER, nodes, 1, -1)).toThrow(
      /maxRedraws/,
    );
  });
});
