import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { TaskSpecSchema, type TaskSpec as TaskSpecPb } from '@aegis/contracts';
import { isAddress, ProtocolError, type TaskSpec } from '@aegis/protocol';
import { grpcError, GrpcStatus } from '@aegis/service-kit';
import type { RpcException } from '@nestjs/microservices';
import type { StatusChange, StoredTask } from './tasks.repository';
import type { SubmitTaskRequestWire, TaskSpecWire, TaskUpdateWire, TaskViewWire, TimestampWire } from './task.wire';

const U32 = 0xffff_ffff;

export interface ParsedSubmit {
  readonly spec: TaskSpec;
  readonly client: string;
  readonly signature: Uint8Array;
}

/** Shape checks only (types, lengths); the model's limits are TasksService's to apply. */
export function parseSubmit(req: SubmitTaskRequestWire): ParsedSubmit {
  const s = req.spec;
  if (!s) throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'spec', 'is missing');
  const u32 = (value: unknown, field: string): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > U32)
      throw grpcError(GrpcStatus.INVALID_ARGUMENT, field, 'must be a uint32');
    return value;
  };
  const list = (value: unknown, field: string): number[] => {
    if (!Array.isArray(value)) throw grpcError(GrpcStatus.INVALID_ARGUMENT, field, 'must be a list of uint32');
    return value.map((v, i) => u32(v, `${field}[${i}]`));
  };
  if (typeof s.nonce !== 'string' || !/^[0-9]{1,20}$/.test(s.nonce) || BigInt(s.nonce) >= 1n << 64n) {
    throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'spec.nonce', 'must be a uint64');
  }
  const spec: TaskSpec = {
    modelId: typeof s.modelId === 'string' ? s.modelId : '',
    promptTokens: list(s.promptTokens, 'spec.prompt_tokens'),
    maxNewTokens: u32(s.maxNewTokens, 'spec.max_new_tokens'),
    topK: u32(s.topK, 'spec.top_k'),
    temperatureMilli: u32(s.temperatureMilli, 'spec.temperature_milli'),
    stopTokens: list(s.stopTokens, 'spec.stop_tokens'),
    nonce: BigInt(s.nonce),
  };
  if (!(req.client instanceof Uint8Array) || req.client.length !== 20)
    throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'client', 'must be 20 bytes');
  const client = `0x${Buffer.from(req.client).toString('hex')}`;
  if (!isAddress(client)) throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'client', 'is not an address');
  if (!(req.signature instanceof Uint8Array) || req.signature.length !== 65)
    throw grpcError(GrpcStatus.UNAUTHENTICATED, 'signature', 'must be 65 bytes (r || s || v)');
  return { spec, client, signature: new Uint8Array(req.signature) };
}

export function taskHashFrom(bytes: unknown): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw grpcError(GrpcStatus.INVALID_ARGUMENT, 'task_hash', 'must be 32 bytes');
  return `0x${Buffer.from(bytes).toString('hex')}`;
}

/** validateTaskSpec's refusal as INVALID_ARGUMENT naming the field in the proto's spelling. */
export function specRefusal(err: unknown): RpcException {
  if (!(err instanceof ProtocolError)) throw err;
  return grpcError(GrpcStatus.INVALID_ARGUMENT, snakeField(err.field ?? 'spec'), err.message.replace(/^[^:]*: /, ''));
}

function snakeField(field: string): string {
  return `spec.${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
}

export function specToProto(spec: TaskSpec): TaskSpecPb {
  return create(TaskSpecSchema, { ...spec, promptTokens: [...spec.promptTokens], stopTokens: [...spec.stopTokens] });
}

export function specBytes(spec: TaskSpec): Uint8Array {
  return toBinary(TaskSpecSchema, specToProto(spec));
}

export function timestampWire(date: Date): TimestampWire {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

export function updateWire(change: StatusChange): TaskUpdateWire {
  return {
    status: change.status,
    node: change.node ? Buffer.from(change.node.slice(2), 'hex') : Buffer.alloc(0),
    detail: change.detail,
    changedAt: timestampWire(change.changedAt),
    // Live changes carry the result's tokens (SUBMITTED: unverified; ACCEPTED: the output).
    outputTokens: change.outputTokens ?? [],
  };
}

export function taskViewWire(task: StoredTask, history: readonly StatusChange[]): TaskViewWire {
  const spec = fromBinary(TaskSpecSchema, task.spec);
  const specWire: TaskSpecWire = {
    modelId: spec.modelId,
    promptTokens: spec.promptTokens,
    maxNewTokens: spec.maxNewTokens,
    topK: spec.topK,
    temperatureMilli: spec.temperatureMilli,
    stopTokens: spec.stopTokens,
    nonce: spec.nonce.toString(),
  };
  return {
    taskHash: Buffer.from(task.taskHash.slice(2), 'hex'),
    spec: specWire,
    status: task.status,
    outputTokens: task.outputTokens,
    submittedAt: timestampWire(task.submittedAt),
    history: history.map(updateWire),
  };
}
