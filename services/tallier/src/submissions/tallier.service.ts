import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { BatchRunner, type OutgoingRecord, PoisonMessageError } from '@aegis/bus';
import {
  type AuditFailure,
  BeaconChain,
  type ConsensusConfig,
  DEFAULT_TALLY_RULE,
  drawCommittee,
  genesisBeacon,
  isLedgerEffect,
  type SubmissionEffect,
  type SubmissionEvent,
  type SubmissionState,
  transition,
  signsItself,
} from '@aegis/consensus';
import {
  CheckOutcome,
  type CheckedVerdict,
  createTopicMessage,
  decodeTopicMessage,
  encodeTopicMessage,
  type Result,
  type StakeView,
  type Submission,
  signedResultFromWire,
  signedVerdictFromWire,
  TaskStatus,
  TOPICS,
  WireError,
} from '@aegis/contracts';
import {
  type Address,
  equalBytes,
  fromHex,
  type SignedResult,
  SignerCache,
  taskHash,
  toHex,
  verifySignedResult,
  verifySignedVerdict,
} from '@aegis/protocol';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Logger } from 'pino';
import { SERVICE_LOGGER } from '@aegis/service-kit';
import type { Clock } from '../clock';
import { TALLIER_CLOCK, TALLIER_OPTIONS, TALLIER_STAKE_VIEW, TALLIER_STORE, FIRST_TALLIER_STATUS_SEQUENCE } from '../tallier.constants';
import type { TallierOptions } from '../tallier.options';
import { OutboxRelay } from '../outbox/outbox.relay';
import { type ResultOutcome, TallierMetrics } from '../tallier.metrics';
import {
  disputeOpenedRecord,
  disputeResolvedRecord,
  ledgerCommandRecord,
  statusRecord,
  submissionRecord,
  taskOfferRecord,
} from './outgoing.records';
import type { StoredSubmission, SubmissionChange, TallierStore, TallierTx } from './tallier.store';

/** Attempts a result from a node not seen as active is retried (the stake view may lag) before it is refused. */
export const INACTIVE_SUBMITTER_ATTEMPTS = 5;
/** RefusedResult.reason for a submitter that is not an active node. */
export const INACTIVE_SUBMITTER = 'inactive-submitter';
const DUE_BATCH = 100;
/** Results recorded in one transaction at most (the results of every partition in flight fit). */
const RESULT_BATCH = 64;

/** A checked result from an active node, on its way into the batch that records it. */
interface ResultToRecord {
  readonly message: Result;
  readonly signed: SignedResult;
  readonly taskHash: string;
  readonly submissionId: string;
  readonly submitter: Address;
}

/**
 * The heart of the control plane: records the first valid result per task as THE submission,
 * issues its beacon, feeds checked verdicts and window closes into the consensus state machine,
 * and turns its effects into ledger commands, dispute events and task-status changes. Every state
 * change and the records it causes commit in one transaction (outbox); they are published after.
 */
@Injectable()
export class TallierService implements OnModuleInit {
  private readonly consensus: ConsensusConfig;
  // Results and verdicts come from the same few staked nodes again and again: their keys are kept.
  private readonly signers = new SignerCache();
  /**
   * Results of different partitions arrive concurrently and all append to the one beacon chain:
   * each used to take the chain's lock in a transaction of its own, and waited for the others'
   * (27 ms on average at ~70 tasks/s). Those that arrive while a batch is being recorded are
   * recorded together, under one lock, in one transaction.
   */
  private readonly results = new BatchRunner<ResultToRecord, ResultOutcome>((batch) => this.recordResults(batch), RESULT_BATCH);

  constructor(
    @Inject(TALLIER_STORE) private readonly store: TallierStore,
    @Inject(TALLIER_STAKE_VIEW) private readonly stakes: StakeView,
    @Inject(TALLIER_CLOCK) private readonly clock: Clock,
    @Inject(TALLIER_OPTIONS) private readonly options: TallierOptions,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly relay: OutboxRelay,
    private readonly metrics: TallierMetrics,
  ) {
    this.consensus = {
      windowMs: options.windowMs,
      submitterShareBps: options.submitterShareBps,
      tally: options.tally ?? DEFAULT_TALLY_RULE,
      ...(options.maxExtensions === undefined ? {} : { maxExtensions: options.maxExtensions }),
    };
  }

  /**
   * A network never mixes tally rules: undecided submissions opened under another rule than the
   * configured one would be judged by whichever a replica runs, so the tallier does not start.
   */
  async onModuleInit(): Promise<void> {
    const rule = this.consensus.tally ?? DEFAULT_TALLY_RULE;
    const other = (await this.store.openTallyRules()).filter((r) => r !== rule);
    if (other.length > 0) {
      throw new Error(
        `AEGIS_TALLY: undecided submissions were opened under tally '${other.join("', '")}', the config says '${rule}'; keep that rule until they are decided`,
      );
    }
  }

  /**
   * A result from aegis.results.v1. Throws PoisonMessageError for results that can never count
   * (malformed, bad signature, task hash not of its spec); returns quietly for a task that already
   * has its submission (the same digest again, or a later result). A correctly signed result from
   * a node that is not active (liquidated or unstaked while its result was in flight) is refused:
   * recorded as such, and the task offered again at once with a QUEUED status change, so it is
   * neither dead-lettered nor left waiting for ingress's idle re-offer.
   */
  async onResult(message: Result, attempt: number): Promise<ResultOutcome> {
    const { signed, spec } = poisonOnWireError(() => signedResultFromWire(message));
    if (!verifySignedResult(signed, this.signers))
      throw new PoisonMessageError('invalid', 'signature', 'does not recover to the result node over its digest');
    if (!equalBytes(taskHash(spec), signed.result.taskHash)) throw new PoisonMessageError('invalid', 'spec', 'does not hash to taskHash');
    const submitter = signed.result.node;
    const submissionId = toHex(signed.digest);
    const th = toHex(signed.result.taskHash);
    if (!this.stakes.isActive(submitter)) {
      // The stake view may trail the ledger by a moment (a node that has just staked): retry briefly first.
      if (attempt < INACTIVE_SUBMITTER_ATTEMPTS) throw new Error(`submitter ${submitter} is not active yet`);
      return this.refuse(message, th, submissionId, submitter);
    }
    const outcome = await this.results.run({ message, signed, taskHash: th, submissionId, submitter });
    if (outcome === 'recorded') {
      this.logger.info({ taskHash: th, submissionId, submitter }, 'submission recorded');
      this.metrics.submissions.inc();
    }
    this.metrics.results.inc({ outcome });
    // Not awaited: the rows are durable at commit, and the relay folds the flushes of concurrent handlers.
    this.relay.requestFlush();
    return outcome;
  }

  /**
   * One transaction for a batch of checked results: which tasks already have their submission
   * (one read), then, under the beacon-head lock, each new task's links and submission in
   * arrival order. A later result for a task recorded earlier, or earlier in the batch, is a
   * duplicate, as it would be one at a time.
   */
  private recordResults(batch: readonly ResultToRecord[]): Promise<ResultOutcome[]> {
    this.metrics.resultBatch.observe(batch.length);
    return this.store.transaction(async (tx) => {
      const intakes = await tx.taskIntakes(batch.map((r) => r.taskHash));
      const taken = new Set<string>();
      const outcomes = batch.map((r, i): ResultOutcome => {
        if (intakes[i]?.recorded || taken.has(r.taskHash)) return 'duplicate';
        taken.add(r.taskHash);
        return 'recorded';
      });
      if (taken.size === 0) return outcomes;
      const now = this.clock.now();
      // Last: from here to commit, results of other tasks wait (one beacon chain, one link per append).
      const head = await tx.lockBeaconHead();
      const chain = head
        ? new BeaconChain(this.options.controlKey, head)
        : BeaconChain.fromGenesis(this.options.controlKey, this.options.chainId);
      // Every new task's links first (their values final, unsigned), then one seal for all of them:
      // one signature per MAX_SEAL_SPAN links instead of one per link (docs/consensus.md, "Sealed runs").
      // Appended inside the transaction that records the submissions: the links exist only if the records do.
      // An empty committee (~5% at k = 3) gets further links before anything is announced, so
      // verifiers only ever see the last one (docs/consensus.md, "Empty committees").
      // One stake snapshot for the batch: the draws run without a pause, so no update falls between them.
      const nodes = this.stakes.activeNodes();
      const draws = batch.flatMap((r, i) =>
        outcomes[i] === 'recorded'
          ? [{ r, i, draw: drawCommittee((d) => chain.extend(d), r.signed.digest, r.submitter, nodes, this.options.verifiersPerTask) }]
          : [],
      );
      const sealed = chain.seal();
      // Counted before COMMIT: a signature made for a batch that then fails was still made.
      this.metrics.beaconSignatures.inc(sealed.filter(signsItself).length);
      let next = 0;
      for (const { r, i, draw } of draws) {
        const links = sealed.slice(next, (next += draw.links.length));
        const link = links[links.length - 1]!;
        const selected = [...draw.committee];
        if (draw.links.length > 1)
          this.logger.info(
            { submissionId: r.submissionId, links: draw.links.length, committee: selected.length },
            'empty committee redrawn',
          );
        const { state } = transition(
          undefined,
          {
            kind: 'submitted',
            submissionId: r.submissionId,
            taskId: r.taskHash,
            submitter: r.submitter,
            fee: this.options.taskFee,
            selectedVerifiers: selected,
          },
          now,
          this.consensus,
        );
        const stored: StoredSubmission = {
          submissionId: r.submissionId,
          taskHash: r.taskHash,
          state,
          result: encodeTopicMessage(TOPICS.results, r.message),
          beacon: link,
          // Refused results of this task used the status sequences before this one.
          statusSeq: FIRST_TALLIER_STATUS_SEQUENCE - 1 + (intakes[i]?.refusals ?? 0),
          lastStatus: TaskStatus.QUEUED,
        };
        // The tokens ride along, unverified, so a client streaming the answer can show it now.
        const submitted = this.withStatus(stored, TaskStatus.SUBMITTED, `beacon ${link.index}`, now, this.resultOf(stored).tokens);
        await tx.recordSubmission(links, submitted.next, [
          submissionRecord(r.taskHash, this.submissionMessage(submitted.next)),
          submitted.record,
        ]);
      }
      return outcomes;
    });
  }

  /**
   * Records a correctly signed result whose node is not active as refused and, in the same
   * transaction, re-offers its task (aegis.tasks.v1) and publishes QUEUED with the reason. A
   * redelivery of the same result changes nothing (its records were enqueued the first time).
   */
  private async refuse(message: Result, th: string, resultDigest: string, submitter: Address): Promise<ResultOutcome> {
    const spec = message.spec;
    if (spec === undefined) throw new PoisonMessageError('invalid', 'spec', 'is missing');
    const outcome = await this.store.transaction(async (tx): Promise<ResultOutcome> => {
      if (await tx.submissionByTask(th)) return 'duplicate';
      const now = this.clock.now();
      const fresh = await tx.insertRefusal({
        resultDigest,
        taskHash: th,
        submitter,
        reason: INACTIVE_SUBMITTER,
        result: encodeTopicMessage(TOPICS.results, message),
        refusedAt: now,
      });
      if (!fresh) return 'refused';
      const sequence = FIRST_TALLIER_STATUS_SEQUENCE - 1 + (await tx.refusalCount(th));
      const detail = `result ${resultDigest} refused: ${submitter} is not an active node; task offered again`;
      await tx.enqueue([
        statusRecord({ taskHash: th, status: TaskStatus.QUEUED, sequence, node: submitter, detail, at: now }),
        taskOfferRecord(th, spec, now),
      ]);
      return 'refused';
    });
    this.logger.warn({ taskHash: th, resultDigest, submitter, outcome }, 'result from an inactive node refused; task offered again');
    this.metrics.results.inc({ outcome });
    // Not awaited: the rows are durable at commit, and the relay folds the flushes of concurrent handlers.
    this.relay.requestFlush();
    return outcome;
  }

  /**
   * A checked verdict from the PoW checker: PASSED ones are votes; a PoW or audit failure gets its
   * verifier liquidated (verdict-failed); NOT_ELIGIBLE ones are only kept for the record.
   */
  async onCheckedVerdict(message: CheckedVerdict): Promise<'counted' | 'punished' | 'ignored'> {
    if (message.verdict === undefined) throw new PoisonMessageError('invalid', 'verdict', 'is missing');
    const wire = message.verdict;
    const { signed, context } = poisonOnWireError(() => signedVerdictFromWire(wire));
    if (!verifySignedVerdict(signed, this.signers))
      throw new PoisonMessageError('invalid', 'verdict.signature', 'does not recover to the verifier');
    const submissionId = toHex(signed.verdict.submissionDigest);
    const applied: SubmissionEffect[] = [];
    const outcome = await this.store.transaction(async (tx) => {
      applied.length = 0;
      const stored = await tx.lockSubmission(submissionId);
      if (!stored) throw new PoisonMessageError('invalid', 'verdict.resultDigest', `no submission ${submissionId}`);
      if (!equalBytes(fromHex(stored.taskHash, 32), context.taskHash)) {
        throw new PoisonMessageError('invalid', 'verdict.taskHash', 'does not match the submission');
      }
      const now = Math.max(this.clock.now(), stored.state.lastEventAt);
      const fresh = await tx.insertVerdict({
        submissionId,
        verifier: signed.verdict.verifier,
        kind: signed.verdict.kind,
        outcome: message.outcome,
        audited: message.audited,
        receivedAt: now,
        verdict: encodeTopicMessage(TOPICS.verdicts, wire),
      });
      if (!fresh) return 'ignored' as const;
      const verifier = signed.verdict.verifier;
      if (message.outcome === CheckOutcome.PASSED) {
        await this.apply(tx, stored, { kind: 'verdict', submissionId, verifier, verdict: signed.verdict.kind }, now, applied, verifier);
        return 'counted' as const;
      }
      const failure = punishableFailure(message.outcome);
      if (failure === undefined) return 'ignored' as const;
      // DESIGN 2.4: dropped, and its verifier treated as having submitted a wrong result.
      await this.apply(tx, stored, { kind: 'verdict-failed', submissionId, verifier, failure }, now, applied);
      this.logger.warn({ submissionId, verifier, failure }, 'verdict failed the PoW check; verifier liquidated');
      return 'punished' as const;
    });
    this.metrics.verdicts.inc({ outcome });
    this.countEffects(applied);
    // Not awaited: the rows are durable at commit, and the relay folds the flushes of concurrent handlers.
    this.relay.requestFlush();
    return outcome;
  }

  /** Closes every window that has ended: tally, then settle or extend. Returns how many it closed. */
  async tick(): Promise<number> {
    let closed = 0;
    for (;;) {
      const applied: SubmissionEffect[] = [];
      const batch = await this.store.transaction(async (tx) => {
        applied.length = 0;
        const now = this.clock.now();
        const due = await tx.lockDue(now, DUE_BATCH);
        // One stake snapshot for the batch: every close of it is judged on the same numbers.
        const active = this.stakes.activeNodes();
        const activeNodes = active.length;
        const activeStake = active.reduce((sum, n) => sum + n.stake, 0n);
        const changes: SubmissionChange[] = [];
        for (const stored of due) {
          const event: SubmissionEvent = {
            kind: 'window-closed',
            submissionId: stored.submissionId,
            activeNodes,
            activeStake,
            stakes: this.voterStakes(stored.state),
          };
          const change = this.change(stored, event, Math.max(now, stored.state.lastEventAt), applied);
          if (change) changes.push(change);
        }
        // Every closed window of the batch in one write.
        await tx.applyChanges(changes);
        return due.length;
      });
      this.countEffects(applied);
      closed += batch;
      if (batch < DUE_BATCH) break;
    }
    if (closed > 0) await this.relay.flush();
    return closed;
  }

  /** The stake at this moment of a submission's submitter and of everyone who voted on it (the stake tally's weights). */
  private voterStakes(state: SubmissionState): Map<Address, bigint> {
    const stakes = new Map<Address, bigint>([[state.submitter, this.stakes.stakeOf(state.submitter)]]);
    for (const v of state.verdicts) stakes.set(v.verifier, this.stakes.stakeOf(v.verifier));
    return stakes;
  }

  /** Runs one event through the state machine and writes the change; effects are also pushed to `applied` (counted after commit). */
  private async apply(
    tx: TallierTx,
    stored: StoredSubmission,
    event: SubmissionEvent,
    now: number,
    applied: SubmissionEffect[],
    voter?: string,
  ): Promise<void> {
    const change = this.change(stored, event, now, applied, voter);
    if (change) await tx.applyChanges([change]);
  }

  /** One event through the state machine: the submission's next row and what it causes; undefined when nothing changes. */
  private change(
    stored: StoredSubmission,
    event: SubmissionEvent,
    now: number,
    applied: SubmissionEffect[],
    voter?: string,
  ): SubmissionChange | undefined {
    const { state, effects } = transition(stored.state, event, now, this.consensus);
    if (state === stored.state) return undefined;
    applied.push(...effects);
    let next: StoredSubmission = { ...stored, state };
    const records: OutgoingRecord[] = [];
    const status = (status: TaskStatus, detail: string, outputTokens?: readonly number[]): void => {
      const changed = this.withStatus(next, status, detail, now, outputTokens);
      next = changed.next;
      records.push(changed.record);
    };
    if (event.kind === 'verdict' && next.lastStatus === TaskStatus.SUBMITTED)
      status(TaskStatus.VERIFYING, `first verdict by ${event.verifier}`);
    for (const effect of effects) this.effect(effect, next, state, records, status, voter);
    let disputeOpened: SubmissionChange['disputeOpened'];
    let disputeResolved: SubmissionChange['disputeResolved'];
    for (const effect of effects) {
      if (effect.kind === 'announce-dispute') disputeOpened = { accused: effect.accused, at: now };
      if (effect.kind === 'decided' && state.disputeOpen) disputeResolved = { outcome: effect.outcome, at: now };
    }
    return { next, records, ...(disputeOpened ? { disputeOpened } : {}), ...(disputeResolved ? { disputeResolved } : {}) };
  }

  /** Committed effects as metrics: decisions by outcome and liquidations. */
  private countEffects(effects: readonly SubmissionEffect[]): void {
    for (const effect of effects) {
      if (effect.kind === 'fast-accepted') this.metrics.decisions.inc({ outcome: 'fast-accepted' });
      else if (effect.kind === 'decided') this.metrics.decisions.inc({ outcome: effect.outcome });
      else if (effect.kind === 'liquidate') this.metrics.liquidations.inc();
    }
  }

  private effect(
    effect: SubmissionEffect,
    stored: StoredSubmission,
    state: SubmissionState,
    records: OutgoingRecord[],
    status: (status: TaskStatus, detail: string, outputTokens?: readonly number[]) => void,
    voter: string | undefined,
  ): void {
    if (isLedgerEffect(effect)) {
      records.push(ledgerCommandRecord(effect));
      return;
    }
    const tokens = (): readonly number[] => this.resultOf(stored).tokens;
    switch (effect.kind) {
      case 'announce-dispute':
        records.push(
          disputeOpenedRecord(
            stored.taskHash,
            this.submissionMessage(stored),
            voter ?? effect.accused,
            this.stakes.stakeOf(effect.accused),
            effect.closesAt,
          ),
        );
        status(TaskStatus.DISPUTED, `rejected by ${voter ?? 'a verifier'}; every active node may verify`);
        return;
      case 'fast-accepted':
        status(TaskStatus.ACCEPTED, 'every selected verifier accepted (a dispute can still reopen it)', tokens());
        return;
      case 'window-extended':
        // The committee widens to every active key: the submission is announced on the disputes
        // topic again (verifiers verify every announced one, lottery or not; the PoW checker then
        // accepts verdicts from all of them), with the new close. Again on every extension, so a
        // node that became active since the dispute opened is asked too; a verifier that already
        // answered ignores it. A silent close (nobody answered) gets the same call.
        records.push(
          disputeOpenedRecord(
            stored.taskHash,
            this.submissionMessage(stored),
            this.options.controlKey.address,
            this.stakes.stakeOf(stored.state.submitter),
            effect.closesAt,
          ),
        );
        this.logger.info(
          { submissionId: stored.submissionId, closesAt: effect.closesAt, final: effect.final, reason: effect.reason },
          'window extended; every active key asked to verify',
        );
        return;
      case 'decided': {
        const decision = state.decision;
        // A widened call without a dispute was announced like one: it is resolved like one too.
        if ((state.disputeOpen || state.widened) && decision) {
          records.push(
            disputeResolvedRecord(
              stored.taskHash,
              stored.submissionId,
              effect.outcome === 'accepted',
              decision.losers,
              decision.winners,
              decision.decidedAt,
            ),
          );
        }
        if (effect.outcome === 'accepted') {
          if (stored.lastStatus !== TaskStatus.ACCEPTED) status(TaskStatus.ACCEPTED, 'tally: result upheld', tokens());
        } else {
          status(TaskStatus.REJECTED, `tally: result rejected; liquidated ${decision?.losers.join(', ') ?? ''}`);
        }
        this.logger.info({ submissionId: stored.submissionId, outcome: effect.outcome, losers: decision?.losers }, 'submission decided');
        return;
      }
      default: {
        const unreachable: never = effect;
        throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private withStatus(
    stored: StoredSubmission,
    status: TaskStatus,
    detail: string,
    at: number,
    outputTokens?: readonly number[],
  ): { next: StoredSubmission; record: OutgoingRecord } {
    const sequence = stored.statusSeq + 1;
    const record = statusRecord({ taskHash: stored.taskHash, status, sequence, node: stored.state.submitter, detail, at, outputTokens });
    return { next: { ...stored, statusSeq: sequence, lastStatus: status }, record };
  }

  private resultOf(stored: StoredSubmission): Result {
    return decodeResult(stored.result);
  }

  /** The Submission message verifiers self-select on; rebuilt from the stored row, so republishing is exact. */
  submissionMessage(stored: StoredSubmission): Submission {
    const link = stored.beacon;
    return createTopicMessage(TOPICS.submissions, {
      result: decodeResult(stored.result),
      beacon: {
        height: BigInt(link.index),
        value: fromHex(link.beacon, 32),
        previous: fromHex(link.prev, 32),
        signature: fromHex(link.signature, 65),
        sealedBy: (link.sealedBy ?? []).map((d) => fromHex(d, 32)),
      },
      verifiersPerTask: this.options.verifiersPerTask,
      windowEndsAt: timestampFromMs(stored.state.closesAt),
    });
  }

  /** For SubmissionQuery: the stored submission as verifiers saw it, and whether it is disputed. */
  async lookup(submissionId: string): Promise<{ submission: Submission; disputed: boolean } | undefined> {
    const stored = await this.store.submission(submissionId);
    if (!stored) return undefined;
    // Widened: open to every active key, as a dispute is (the PoW checker skips the lottery check).
    return { submission: this.submissionMessage(stored), disputed: stored.state.disputeOpen || stored.state.widened };
  }

  /** Genesis beacon of this network (for tools that verify the chain from its start). */
  genesis(): Uint8Array {
    return genesisBeacon(this.options.chainId);
  }
}

/** Stored bytes were encoded by this service: a failure here is corruption, not bad input. */
function decodeResult(bytes: Uint8Array): Result {
  return decodeTopicMessage(TOPICS.results, bytes);
}

/**
 * Only failures that the verifier's own signed bytes prove. NOT_ELIGIBLE is left unpunished: it
 * is judged on the checker's stake snapshot, which may lag the ledger (see @aegis/consensus).
 */
function punishableFailure(outcome: CheckOutcome): AuditFailure | undefined {
  switch (outcome) {
    case CheckOutcome.POW_FAILED:
      return 'pow-failed';
    case CheckOutcome.AUDIT_FAILED:
      return 'audit-failed';
    default:
      return undefined;
  }
}

function poisonOnWireError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireError) throw new PoisonMessageError('invalid', e.field, e.message, { cause: e });
    throw e;
  }
}
