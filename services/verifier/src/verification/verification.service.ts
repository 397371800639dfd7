import { Inject, Injectable } from '@nestjs/common';
import { type EventBus, PoisonMessageError } from '@aegis/bus';
import { isEligible, verifyAnnouncedBeacon } from '@aegis/consensus';
import {
  beaconFromWire,
  createTopicMessage,
  type DisputeEvent,
  encodeTopicMessage,
  type Result,
  type StakeView,
  type Submission,
  signedResultFromWire,
  signedVerdictToWire,
  TOPICS,
  WireError,
} from '@aegis/contracts';
import { type NodeKey, type SignedResult, type TaskSpec, toHex } from '@aegis/protocol';
import { EVENT_BUS, SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { DONE_CAPACITY, VERIFIER_OPTIONS, VERIFIER_STAKE_VIEW } from '../verifier.constants';
import type { VerifierOptions } from '../verifier.options';
import { TeacherForcedVerdicts, type VerdictMaker } from './verdict.maker';

interface Work {
  signed: SignedResult;
  spec: TaskSpec;
  beaconHeight: bigint;
}

/**
 * For each node key it holds: self-selects on a submission's beacon (stake-weighted lottery),
 * or verifies unconditionally in a dispute; runs teacher-forced verification, grinds the PoW
 * on its own hidden states and publishes the signed verdict keyed by task hash.
 */
@Injectable()
export class VerificationService {
  private readonly done = new Set<string>();
  private readonly maker: VerdictMaker;

  constructor(
    @Inject(VERIFIER_OPTIONS) private readonly options: VerifierOptions,
    @Inject(VERIFIER_STAKE_VIEW) private readonly stakes: StakeView,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    this.maker = options.verdictMaker ?? new TeacherForcedVerdicts(options.runtime, logger);
  }

  /** Returns the verifiers (of this process) that published a verdict. */
  async onSubmission(submission: Submission): Promise<string[]> {
    const work = decodeWork(submission.result, submission.beacon?.height ?? 0n);
    const announced = wire(() => beaconFromWire(submission.beacon));
    // A beacon the control plane did not sign could hand-pick the committee: never act on it.
    if (this.options.controlAddress !== undefined && !verifyAnnouncedBeacon(announced, work.signed.digest, this.options.controlAddress)) {
      throw new PoisonMessageError(
        'invalid',
        'beacon.signature',
        `is not the control plane's (${this.options.controlAddress}) link for this submission`,
      );
    }
    const beacon = announced.value;
    const k = submission.verifiersPerTask;
    if (k < 1) throw new PoisonMessageError('invalid', 'verifiersPerTask', 'must be >= 1');
    const total = this.stakes.totalActiveStake();
    const eligible = this.options.keys.filter((key) => {
      if (!this.stakes.isActive(key.address) || total === 0n) return false;
      return isEligible(key.address, this.stakes.stakeOf(key.address), total, beacon, k);
    });
    return this.verifyAs(eligible, work);
  }

  /** A dispute: every active node this process holds verifies, lottery or not. */
  async onDispute(event: DisputeEvent): Promise<string[]> {
    if (event.event.case !== 'opened') return [];
    const opened = event.event.value;
    const work = decodeWork(opened.submission?.result, opened.submission?.beacon?.height ?? 0n);
    return this.verifyAs(
      this.options.keys.filter((k) => this.stakes.isActive(k.address)),
      work,
    );
  }

  private async verifyAs(keys: readonly NodeKey[], work: Work): Promise<string[]> {
    const digest = toHex(work.signed.digest);
    const mine = keys.filter((k) => k.address !== work.signed.result.node && !this.done.has(`${digest}/${k.address}`));
    if (mine.length === 0) return [];
    const verdicts = await this.maker.verdicts(work, mine);
    const records = verdicts.map(({ verdict, reason }) => ({
      topic: TOPICS.verdicts,
      key: toHex(work.signed.result.taskHash),
      value: encodeTopicMessage(
        TOPICS.verdicts,
        createTopicMessage(
          TOPICS.verdicts,
          signedVerdictToWire(verdict, {
            taskHash: work.signed.result.taskHash,
            submitter: work.signed.result.node,
            beaconHeight: work.beaconHeight,
            reason,
          }),
        ),
      ),
    }));
    await this.bus.publishBatch(records);
    for (const k of mine) this.remember(`${digest}/${k.address}`);
    return mine.map((k) => k.address);
  }

  private remember(id: string): void {
    this.done.add(id);
    if (this.done.size > DONE_CAPACITY) this.done.delete(this.done.values().next().value as string);
  }
}

function decodeWork(result: Result | undefined, beaconHeight: bigint): Work {
  if (!result) throw new PoisonMessageError('invalid', 'result', 'is missing');
  const { signed, spec } = wire(() => signedResultFromWire(result));
  return { signed, spec, beaconHeight };
}

function wire<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireError) throw new PoisonMessageError('invalid', e.field, e.message, { cause: e });
    throw e;
  }
}
