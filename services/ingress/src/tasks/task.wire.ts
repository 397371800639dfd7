/** TaskIngress messages as @grpc/proto-loader hands them over (PROTO_LOADER_OPTIONS); untrusted. */
export interface TaskSpecWire {
  readonly modelId: string;
  readonly promptTokens: readonly number[];
  readonly maxNewTokens: number;
  readonly topK: number;
  readonly temperatureMilli: number;
  readonly stopTokens: readonly number[];
  /** uint64 as a decimal string. */
  readonly nonce: string;
}

export interface SubmitTaskRequestWire {
  readonly spec: TaskSpecWire | null;
  readonly client: Buffer;
  readonly signature: Buffer;
}

export interface TaskHashRequestWire {
  readonly taskHash: Buffer;
}

export interface TimestampWire {
  readonly seconds: string;
  readonly nanos: number;
}

export interface TaskUpdateWire {
  readonly status: number;
  readonly node: Buffer;
  readonly detail: string;
  readonly changedAt: TimestampWire;
  readonly outputTokens: readonly number[];
}

export interface TaskViewWire {
  readonly taskHash: Buffer;
  readonly spec: TaskSpecWire;
  readonly status: number;
  readonly outputTokens: readonly number[];
  readonly submittedAt: TimestampWire;
  readonly history: readonly TaskUpdateWire[];
}
