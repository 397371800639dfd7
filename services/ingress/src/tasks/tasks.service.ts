import { Inject, Injectable } from '@nestjs/common';
import { withTimeout, type EventBus, type OutgoingRecord } from '@aegis/bus';
import { createTopicMessage, encodeTopicMessage, TaskSpecSchema, TaskStatus, TOPICS } from '@aegis/contracts';
import { fromBinary } from '@bufbuild/protobuf';
import { MODEL_ID_PATTERN, SignerCache, taskHash, toHex, validateTaskSpec } from '@aegis/protocol';
import { EVENT_BUS, grpcError, GrpcStatus, SERVICE_LOGGER } from '@aegis/service-kit';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { Logger } from 'pino';
import { Observable } from 'rxjs';
import type { IngressConfig } from '../ingress.config';
import { INGRESS_CONFIG, MODEL_CATALOG } from '../ingress.constants';
import { LedgerClient } from '../ledger/ledger.client';
import type { ModelCatalog } from '../models/model.catalog';
import { StatusNotifier } from '../status/status.notifier';
import { specBytes, specRefusal, specToProto, type ParsedSubmit } from './task.mapper';
import { TasksRepository, type PendingRecord, type StatusChange, type StoredTask } from './tasks.repository';

/** The sequence of ingress's own QUEUED change; later producers number from 2 upward. */
export const QUEUED_SEQUENCE = 1n;
/** How long one publish may take before its rows are left to the relay. */
export const PUBLISH_TIMEOUT_MS = 5_000;
/** At most this many submit-time publishes in flight, so a stalled broker cannot pile them up. */
export const MAX_INLINE_PUBLISHES = 64;
const FINAL = new Set<TaskStatus>([TaskStatus.ACCEPTED, TaskStatus.REJECTED, TaskStatus.FAILED]);

export function isFinalStatus(status: TaskStatus): boolean {
  return FINAL.has(status);
}

@Injectable()
export class TasksService {
  /** For resubmissions (see submit): after a client's first, its signatures are checked without recovery. */
  private readonly signers = new SignerCache();
  /** Publishes started by submit and not yet settled (bounded: the relay takes the rest). */
  private inlinePublishes = 0;

  constructor(
    private readonly tasks: TasksRepository,
    private readonly ledger: LedgerClient,
    private readonly notifier: StatusNotifier,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(MODEL_CATALOG) private readonly catalog: ModelCatalog,
    @Inject(INGRESS_CONFIG) private readonly config: IngressConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Validate -> (existing task? authenticate, return it) -> escrow the fee -> store task + QUEUED
   * + outbox in one transaction -> answer; publish -> mark sent runs on without the caller. Every
   * refusal happens before anything is stored or published.
   *
   * The client's signature over the task hash is checked once per submission, by whoever acts on
   * it: for a new task the ledger, which escrows the fee only with it (EscrowFees answers
   * UNAUTHENTICATED otherwise, and nothing is stored); for a task already stored, which ingress
   * answers without the ledger, ingress itself. Checking it here as well would double the most
   * expensive step of a submission (~0.45 ms of secp256k1 each) and decide nothing the ledger
   * does not.
   */
  async submit(request: ParsedSubmit): Promise<{ taskHash: string; status: TaskStatus }> {
    const { spec, client, signature } = request;
    const limits = this.catalog.limits(spec.modelId, this.config.maxPromptTokens);
    if (!limits) {
      if (!MODEL_ID_PATTERN.test(spec.modelId))
        throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'spec.model_id', `must match ${MODEL_ID_PATTERN.source}`);
      throw grpcError(
        GrpcStatus.NOT_FOUND,
        'spec.model_id',
        `model ${spec.modelId} is not served here (served: ${this.catalog.ids().join(', ')})`,
      );
    }
    // Too long is a quota (RESOURCE_EXHAUSTED), not a malformed request: checked before the rest.
    const promptCap = limits.maxPromptTokens ?? limits.contextLength - 1;
    if (spec.promptTokens.length > promptCap) {
      throw grpcError(
        GrpcStatus.RESOURCE_EXHAUSTED,
        'spec.prompt_tokens',
        `has ${spec.promptTokens.length} tokens, at most ${promptCap} allowed`,
      );
    }
    try {
      validateTaskSpec(spec, limits);
    } catch (err) {
      throw specRefusal(err);
    }
    const hashBytes = taskHash(spec);
    const hash = toHex(hashBytes);

    const existing = await this.tasks.find(hash);
    if (existing) {
      if (!this.signers.verify(hashBytes, signature, client))
        throw grpcError(GrpcStatus.UNAUTHENTICATED, 'signature', `not ${client}'s signature over the task hash`);
      return { taskHash: hash, status: existing.status };
    }

    await this.ledger.escrowFee(hash, client, this.config.taskFee, signature);
    const now = new Date();
    const task: StoredTask = {
      taskHash: hash,
      modelId: spec.modelId,
      spec: specBytes(spec),
      client,
      fee: this.config.taskFee,
      status: TaskStatus.QUEUED,
      outputTokens: [],
      submittedAt: now,
    };
    const queued: StatusChange = {
      taskHash: hash,
      sequence: QUEUED_SEQUENCE,
      status: TaskStatus.QUEUED,
      node: null,
      detail: '',
      changedAt: now,
    };
    const { created, pending } = await this.tasks.insertTask(task, queued, this.outgoing(hash, spec, now));
    if (!created) {
      const raced = await this.tasks.find(hash);
      return { taskHash: hash, status: raced?.status ?? TaskStatus.QUEUED };
    }
    this.notifier.notify(queued);
    // Committed with its outbox rows, the task is safe: the client's answer must not wait on the
    // broker (SubmitTask used to hang past its deadline while Kafka was down). Publishing now only
    // saves the relay's delay; a failure, a timeout or too many publishes in flight leave it to
    // the relay, and a late duplicate is harmless (consumers are idempotent).
    if (this.inlinePublishes < MAX_INLINE_PUBLISHES) {
      this.inlinePublishes += 1;
      void this.publishPending(pending).finally(() => (this.inlinePublishes -= 1));
    }
    return { taskHash: hash, status: TaskStatus.QUEUED };
  }

  /** Publishes outbox rows and marks them sent; a failure leaves them to the relay. */
  async publishPending(pending: readonly PendingRecord[]): Promise<boolean> {
    if (pending.length === 0) return true;
    try {
      await withTimeout(
        this.bus.publishBatch(pending.map(({ topic, key, value }) => ({ topic, key, value }))),
        PUBLISH_TIMEOUT_MS,
        'outbox publish',
      );
      await this.tasks.markSent(pending.map((p) => p.id));
      return true;
    } catch (err) {
      this.logger.warn({ err: String(err), rows: pending.length }, 'outbox publish failed; the relay will retry');
      return false;
    }
  }

  /**
   * Offers idle QUEUED/SUBMITTED tasks to the workers again: a worker that died after committing
   * its input, or a result the tallier refused (its node was liquidated meanwhile), would
   * otherwise leave the task waiting forever. A duplicate result is harmless: the tallier keeps
   * the first valid one per task.
   */
  async requeueStale(limit = 100): Promise<number> {
    const stale = await this.tasks.claimStale(this.config.requeueAfterMs, limit);
    if (stale.length === 0) return 0;
    const requeue = this.bus.publishBatch(
      stale.map((t) => {
        const message = createTopicMessage(TOPICS.tasks, {
          taskHash: Buffer.from(t.taskHash.slice(2), 'hex'),
          spec: fromBinary(TaskSpecSchema, t.spec),
          submittedAt: timestampFromDate(t.submittedAt),
        });
        return { topic: TOPICS.tasks, key: t.taskHash, value: encodeTopicMessage(TOPICS.tasks, message) };
      }),
    );
    await withTimeout(requeue, PUBLISH_TIMEOUT_MS, 'requeue publish');
    this.logger.info({ tasks: stale.map((t) => t.taskHash) }, 'requeued idle tasks');
    return stale.length;
  }

  async get(hash: string): Promise<{ task: StoredTask; history: StatusChange[] }> {
    const task = await this.tasks.find(hash);
    if (!task) throw grpcError(GrpcStatus.NOT_FOUND, 'task_hash', `no task ${hash}`);
    return { task, history: await this.tasks.history(hash) };
  }

  /**
   * History then live changes, each (status, sequence) once, in order; completes after a final
   * status. Live changes are buffered while the history is read so none falls in between.
   */
  watch(hash: string): Observable<StatusChange> {
    return new Observable<StatusChange>((subscriber) => {
      const seen = new Set<string>();
      let replaying = true;
      const buffered: StatusChange[] = [];
      const emit = (change: StatusChange): void => {
        const id = `${change.status}/${change.sequence}`;
        if (subscriber.closed || seen.has(id)) return;
        seen.add(id);
        subscriber.next(change);
        if (isFinalStatus(change.status)) subscriber.complete();
      };
      const stop = this.notifier.listen(hash, (change) => (replaying ? buffered.push(change) : emit(change)));
      this.get(hash).then(
        ({ history }) => {
          history.forEach(emit);
          replaying = false;
          buffered.sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0)).forEach(emit);
        },
        (err: unknown) => subscriber.error(err),
      );
      return stop;
    });
  }

  private outgoing(hash: string, spec: ParsedSubmit['spec'], now: Date): OutgoingRecord[] {
    const task = createTopicMessage(TOPICS.tasks, {
      taskHash: Buffer.from(hash.slice(2), 'hex'),
      spec: specToProto(spec),
      submittedAt: timestampFromDate(now),
    });
    const status = createTopicMessage(TOPICS.taskStatus, {
      taskHash: Buffer.from(hash.slice(2), 'hex'),
      status: TaskStatus.QUEUED,
      changedAt: timestampFromDate(now),
      sequence: QUEUED_SEQUENCE,
    });
    return [
      { topic: TOPICS.tasks, key: hash, value: encodeTopicMessage(TOPICS.tasks, task) },
      { topic: TOPICS.taskStatus, key: hash, value: encodeTopicMessage(TOPICS.taskStatus, status) },
    ];
  }
}
