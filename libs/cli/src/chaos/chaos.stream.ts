import { status as GrpcStatus } from '@grpc/grpc-js';
import { TINY_MODEL_ID } from '@aegis/model';
import { NodeKey, taskHash, toHex, utf8, type TaskSpec } from '@aegis/protocol';
import { grpcStatusOf, type GrpcServiceClient } from '@aegis/service-kit';

/** Answers a client retries: the server was down, busy, or could not reach what it needs. */
const RETRYABLE = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.CANCELLED,
  GrpcStatus.UNKNOWN,
  GrpcStatus.INTERNAL,
]);

export interface StreamedTask {
  readonly hash: string;
  /** When it was first offered (ms since the epoch): which fault's window it belongs to. */
  readonly offeredAt: number;
  /** When SubmitTask first answered OK; undefined while it has not. */
  acceptedAt: number | undefined;
  /** A refusal no retry changes (INVALID_ARGUMENT, ...): a harness bug, reported. */
  refused: string | undefined;
}

/**
 * The steady task stream of a chaos run: `rate` new tasks a second, each submitted as a client
 * would, with SubmitTask retried on every retryable answer (the request is signed once, so a
 * retry is the same task: ingress answers a resubmission as the first time) until it is
 * accepted or the stream is closed.
 */
export class TaskStream {
  readonly tasks = new Map<string, StreamedTask>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private nonce = BigInt(Date.now()) << 16n;
  private next = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly ingress: () => GrpcServiceClient,
    private readonly clients: readonly NodeKey[],
  ) {}

  start(rate: number): void {
    this.timer = setInterval(() => void this.submit(), Math.max(10, Math.round(1000 / rate)));
  }

  /** Stops offering new tasks; those offered keep retrying until close. */
  stopOffering(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Offers one task now; resolves with its hash once it was accepted (or the stream closed). */
  async submit(): Promise<string> {
    const i = this.next++;
    const spec: TaskSpec = {
      modelId: TINY_MODEL_ID,
      promptTokens: [...utf8(`chaos task ${i}`)],
      maxNewTokens: 4,
      topK: 8,
      temperatureMilli: 800,
      stopTokens: [],
      nonce: this.nonce++,
    };
    const hash = taskHash(spec);
    const client = this.clients[i % this.clients.length] as NodeKey;
    const request = {
      spec: { ...spec, nonce: spec.nonce.toString() },
      client: Buffer.from(client.address.slice(2), 'hex'),
      signature: Buffer.from(client.sign(hash)),
    };
    const task: StreamedTask = { hash: toHex(hash), offeredAt: Date.now(), acceptedAt: undefined, refused: undefined };
    this.tasks.set(task.hash, task);
    const run = this.untilAccepted(task, request);
    this.pending.add(run);
    await run.finally(() => this.pending.delete(run));
    return task.hash;
  }

  /** Ends every retry loop and waits for them. */
  async close(): Promise<void> {
    this.stopOffering();
    this.closed = true;
    await Promise.all([...this.pending]);
  }

  accepted(): StreamedTask[] {
    return [...this.tasks.values()].filter((t) => t.acceptedAt !== undefined);
  }

  private async untilAccepted(task: StreamedTask, request: object): Promise<void> {
    while (!this.closed) {
      try {
        await this.ingress().unary('SubmitTask', request, 10_000);
        task.acceptedAt = Date.now();
        return;
      } catch (err) {
        const code = grpcStatusOf(err);
        if (code !== undefined && !RETRYABLE.has(code)) {
          task.refused = err instanceof Error ? err.message : String(err);
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
