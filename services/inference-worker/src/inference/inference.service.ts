import { Inject, Injectable } from '@nestjs/common';
import { type EventBus, PoisonMessageError } from '@aegis/bus';
import {
  createTopicMessage,
  encodeTopicMessage,
  hash32FromWire,
  type StakeView,
  signedResultToWire,
  type Task,
  TaskStatus,
  taskSpecFromWire,
  TOPICS,
  WireError,
} from '@aegis/contracts';
import { ModelError } from '@aegis/model';
import { equalBytes, type NodeKey, type TaskSpec, taskHash, toHex } from '@aegis/protocol';
import { EVENT_BUS, SERVICE_LOGGER } from '@aegis/service-kit';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Logger } from 'pino';
import { FAILED_STATUS_SEQUENCE, WORKER_OPTIONS, WORKER_STAKE_VIEW } from '../worker.constants';
import { noActiveKey } from '../worker.errors';
import { WorkerMetrics } from '../worker.metrics';
import type { InferenceWorkerOptions } from '../worker.options';
import { asliResultProducer, type ResultProducer } from './result.producer';

export type TaskOutcome = { kind: 'result'; node: string; digest: string } | { kind: 'failed'; detail: string };

/**
 * Works one task: picks an active node key this process holds, runs ASLI generation and publishes
 * the signed Result (keyed by task hash). A redelivered task regenerates the same result
 * (generation and signatures are deterministic), which the tallier dedupes by task.
 */
@Injectable()
export class InferenceService {
  private readonly producer: ResultProducer;

  constructor(
    @Inject(WORKER_OPTIONS) private readonly options: InferenceWorkerOptions,
    @Inject(WORKER_STAKE_VIEW) private readonly stakes: StakeView,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: WorkerMetrics,
  ) {
    if (options.keys.length === 0) throw new RangeError('keys: a worker needs at least one node key');
    this.producer = options.producer ?? asliResultProducer(options.runtime);
  }

  async onTask(task: Task): Promise<TaskOutcome> {
    let spec: TaskSpec;
    let th: Uint8Array;
    try {
      spec = taskSpecFromWire(task.spec);
      th = hash32FromWire(task.taskHash, 'taskHash');
    } catch (e) {
      if (e instanceof WireError) throw new PoisonMessageError('invalid', e.field, e.message, { cause: e });
      throw e;
    }
    if (!equalBytes(taskHash(spec), th)) throw new PoisonMessageError('invalid', 'taskHash', 'is not the hash of spec');
    try {
      this.options.runtime.validateTask(spec);
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      await this.publishFailed(th, e.message);
      this.metrics.tasksFailed.inc();
      return { kind: 'failed', detail: e.message };
    }
    const key = this.pickKey(th);
    const stopTimer = this.metrics.generationSeconds.startTimer();
    const signed = await this.producer.produce(spec, key);
    stopTimer();
    await this.bus.publish(
      TOPICS.results,
      toHex(th),
      encodeTopicMessage(TOPICS.results, createTopicMessage(TOPICS.results, signedResultToWire(signed, spec))),
    );
    this.metrics.tasksGenerated.inc({ behavior: this.producer.behavior });
    this.metrics.tokensGenerated.inc(signed.result.tokens.length);
    this.logger.debug({ taskHash: toHex(th), node: key.address, behavior: this.producer.behavior }, 'result published');
    return { kind: 'result', node: key.address, digest: toHex(signed.digest) };
  }

  /** Whether any node key of this process is active now (TaskIntake stays in the group only then). */
  hasActiveKey(): boolean {
    return this.activeKeyCount() > 0;
  }

  activeKeyCount(): number {
    return this.options.keys.filter((k) => this.stakes.isActive(k.address)).length;
  }

  /**
   * Spreads tasks over the active keys by task hash, so a redelivery picks the same node. With no
   * active key it throws WorkerError NO_ACTIVE_KEY: TaskIntake then hands the record back and
   * leaves the group, so the task goes to another worker instead of waiting here.
   */
  private pickKey(th: Uint8Array): NodeKey {
    const active = this.options.keys.filter((k) => this.stakes.isActive(k.address));
    if (active.length === 0) throw noActiveKey(this.options.keys.map((k) => k.address));
    return active[(th[0] as number) % active.length] as NodeKey;
  }

  private async publishFailed(th: Uint8Array, detail: string): Promise<void> {
    const message = createTopicMessage(TOPICS.taskStatus, {
      taskHash: th,
      status: TaskStatus.FAILED,
      // No node: no result was produced.
      node: new Uint8Array(),
      detail,
      changedAt: timestampFromMs(Date.now()),
      sequence: BigInt(FAILED_STATUS_SEQUENCE),
    });
    await this.bus.publish(TOPICS.taskStatus, toHex(th), encodeTopicMessage(TOPICS.taskStatus, message));
  }
}
