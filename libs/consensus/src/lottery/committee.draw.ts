import { type Address, fromHex } from '@aegis/protocol';
import { invalid, ConsensusErrorCode } from '../consensus.errors';
import { type BeaconLink, beaconOf } from '../beacon/beacon.chain';
import { type StakedNode, selectVerifiers } from './verifier.lottery';

/** What the lottery needs of a link: its digest and value (a signed link, or one pending its seal). */
export type DrawnLink = Pick<BeaconLink, 'submissionDigest' | 'beacon'>;

/** Default bound on extra links per submission: P(empty) ~ e^-k per draw, so e^-12 ~ 6e-6 at k = 3. */
export const DEFAULT_MAX_REDRAWS = 3;

export interface CommitteeDraw<L extends DrawnLink = BeaconLink> {
  /** Every link appended for the submission, in order; the last is the one announced. */
  readonly links: readonly L[];
  /** Who the lottery selects under the last link (submitter excluded); empty only when redraws ran out. */
  readonly committee: readonly Address[];
}

/**
 * Draws a non-empty committee for one submission. With k = 3 the stake-weighted lottery selects
 * nobody for about e^-3 ~ 5% of beacons, and a result nobody is drawn to check is finalised
 * unchecked. So while the committee (submitter excluded) is empty, the control plane appends
 * another link for the same submission digest (beacon' = keccak256(head || digest), a new value
 * because the head moved) and draws again, at most `maxRedraws` times.
 *
 * Deterministic and auditable: a redraw happens exactly when the previous link's committee is
 * empty under the stake snapshot, so anyone with that snapshot and the links can check that the
 * control plane did not redraw to pick a committee. The submitter cannot influence any link (each
 * is issued after its result is recorded). `append` is the control plane's chain: BeaconChain.append,
 * or BeaconChain.extend when the links are sealed with others afterwards.
 */
export function drawCommittee<L extends DrawnLink = BeaconLink>(
  append: (submissionDigest: Uint8Array) => L,
  submissionDigest: Uint8Array,
  submitter: Address,
  nodes: readonly StakedNode[],
  k: number,
  maxRedraws: number = DEFAULT_MAX_REDRAWS,
): CommitteeDraw<L> {
  if (!Number.isSafeInteger(maxRedraws) || maxRedraws < 0)
    throw invalid(ConsensusErrorCode.INVALID_CONFIG, 'maxRedraws', 'must be a non-negative integer');
  const links: L[] = [];
  let committee: Address[] = [];
  for (let draw = 0; draw <= maxRedraws; draw++) {
    const link = append(submissionDigest);
    if (fromHex(link.submissionDigest, 32, 'submissionDigest').some((b, i) => b !== submissionDigest[i])) {
      throw invalid(ConsensusErrorCode.INVALID_BEACON, 'submissionDigest', 'append returned a link for another submission');
    }
    links.push(link);
    committee = selectVerifiers(nodes, beaconOf(link), k).filter((v) => v !== submitter);
    if (committee.length > 0) break;
  }
  return { links, committee };
}
