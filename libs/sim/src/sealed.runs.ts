import { assertBeaconLink, type BeaconHead, type BeaconLink, ConsensusError, ConsensusErrorCode, nextBeacon } from '@aegis/consensus';
import { type Address, fromHex, toHex } from '@aegis/protocol';

/**
 * Checks the simulator's own beacon chain the way a verifier checks what it is announced, at the
 * cost of one signature recovery per sealed run rather than per link: every link must extend the
 * previous one (index, prev, beacon = keccak256(prev || digest)) and name the later digests of its
 * run in `sealedBy`; the run's signing link (its last) is checked in full, signature included.
 * A link that passes this also passes assertBeaconLink (the signature covers the run through the
 * hash links), so nothing the lottery draws on goes unchecked.
 */
export class SealedRunVerifier {
  private head: BeaconHead;

  constructor(
    private readonly control: Address,
    start: BeaconHead,
  ) {
    this.head = { index: start.index, beacon: start.beacon.slice() };
  }

  check(links: readonly BeaconLink[]): void {
    let run: BeaconLink[] = [];
    for (const link of links) {
      const prev = fromHex(link.prev, 32, 'prev');
      if (link.index !== this.head.index + 1 || toHex(prev) !== toHex(this.head.beacon))
        fail('prev', `link ${link.index} does not extend the chain`);
      const beacon = nextBeacon(prev, fromHex(link.submissionDigest, 32, 'submissionDigest'));
      if (toHex(beacon) !== link.beacon) fail('beacon', `link ${link.index} is not keccak256(prev || submissionDigest)`);
      this.head = { index: link.index, beacon };
      run.push(link);
      if ((link.sealedBy ?? []).length === 0) {
        // The run's signing link: every earlier link of the run must point to it through its successors.
        run.forEach((l, i) => {
          const expected = run.slice(i + 1).map((later) => later.submissionDigest);
          const got = l.sealedBy ?? [];
          if (got.length !== expected.length || got.some((d, j) => d !== expected[j]))
            fail('sealedBy', `link ${l.index} does not lead to its seal`);
          if (l.signature !== link.signature) fail('signature', `link ${l.index} carries another signature than its seal`);
        });
        assertBeaconLink(link, this.control, { index: link.index - 1, beacon: prev });
        run = [];
      }
    }
    if (run.length > 0) fail('sealedBy', 'a run ends without its signing link');
  }
}

function fail(field: string, message: string): never {
  throw new ConsensusError(ConsensusErrorCode.INVALID_BEACON, message, field);
}
