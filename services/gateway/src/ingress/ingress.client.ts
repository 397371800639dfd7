import { GRPC_SERVICES } from '@aegis/contracts';
import type { TaskSpec } from '@aegis/protocol';
import { GrpcServiceClient } from '@aegis/service-kit';
import { Metadata, type ClientReadableStream } from '@grpc/grpc-js';

/** A status as the client API names it, without the TASK_STATUS_ prefix (QUEUED, ..., ACCEPTED). */
export type TaskStatusName = 'QUEUED' | 'SUBMITTED' | 'VERIFYING' | 'DISPUTED' | 'ACCEPTED' | 'REJECTED' | 'FAILED' | 'UNSPECIFIED';

export const FINAL_STATUSES: ReadonlySet<TaskStatusName> = new Set(['ACCEPTED', 'REJECTED', 'FAILED']);

export interface TaskUpdate {
  readonly status: TaskStatusName;
  /** 0x address of the node the change concerns, or null. */
  readonly node: string | null;
  readonly detail: string;
}

/** An update and the result tokens it carried (live SUBMITTED: unverified; ACCEPTED: the output). */
export interface WatchedUpdate {
  readonly update: TaskUpdate;
  readonly tokens: readonly number[];
}

interface UpdateWire {
  readonly status: string;
  readonly node: Buffer;
  readonly detail: string;
  readonly outputTokens?: readonly number[];
}

type WatchMethod = (
  request: { taskHash: Buffer },
  metadata: Metadata,
  options: { deadline: Date },
) => ClientReadableStream<{ update: UpdateWire }>;

/**
 * TaskIngress as any outside client uses it (gRPC, proto/aegis/ingress/v1): the gateway holds no
 * privilege there, it signs as the API key's client account like `aegis submit` does.
 */
export class IngressClient {
  private readonly grpc: GrpcServiceClient;

  constructor(address: string) {
    this.grpc = new GrpcServiceClient(GRPC_SERVICES.taskIngress, address);
  }

  async submit(
    spec: TaskSpec,
    client: string,
    signature: Uint8Array,
    timeoutMs = 10_000,
  ): Promise<{ taskHash: Buffer; status: TaskStatusName }> {
    const res = await this.grpc.unary<{ taskHash: Buffer; status: string }>(
      'SubmitTask',
      { spec: { ...spec, nonce: spec.nonce.toString() }, client: Buffer.from(client.slice(2), 'hex'), signature: Buffer.from(signature) },
      timeoutMs,
    );
    return { taskHash: res.taskHash, status: statusName(res.status) };
  }

  async outputTokens(taskHash: Buffer, timeoutMs = 10_000): Promise<number[]> {
    const view = await this.grpc.unary<{ task: { outputTokens: number[] } }>('GetTask', { taskHash }, timeoutMs);
    return view.task.outputTokens;
  }

  /** The task's status changes from its current one until a final one (or the deadline: DEADLINE_EXCEEDED). */
  async *watch(taskHash: Buffer, deadline: Date, signal?: AbortSignal): AsyncGenerator<WatchedUpdate> {
    const method = (this.grpc.client as unknown as Record<string, WatchMethod>)['WatchTask'];
    if (typeof method !== 'function') throw new Error('TaskIngress.WatchTask: not on the client');
    const stream = method.call(this.grpc.client, { taskHash }, new Metadata(), { deadline });
    let ended = false;
    stream.once('end', () => (ended = true));
    const onAbort = (): void => stream.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let final = false;
      for await (const message of stream as AsyncIterable<{ update: UpdateWire }>) {
        // After the final status ingress ends the stream itself: read on to that end rather
        // than cancel (a cancelled call builds an error, stack trace and all, per task).
        if (final) continue;
        const u = message.update;
        const update: TaskUpdate = {
          status: statusName(u.status),
          node: u.node.length === 20 ? `0x${u.node.toString('hex')}` : null,
          detail: u.detail,
        };
        yield { update, tokens: u.outputTokens ?? [] };
        final = FINAL_STATUSES.has(update.status);
      }
      ended = true;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (!ended) stream.cancel();
    }
  }

  close(): void {
    this.grpc.close();
  }
}

function statusName(wire: string): TaskStatusName {
  return wire.replace(/^TASK_STATUS_/, '') as TaskStatusName;
}
