import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ATTENTION_MASK, hiddenState, INPUT_IDS, LOGITS, pastKey, pastValue, POSITION_IDS, presentKey, presentValue } from './decoder.io';
import { kvHeadsOf, type ModelDescriptor } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';

export type ExecutionProviderChoice = 'auto' | 'cpu' | 'cuda';
export type ExecutionProviderUsed = 'cpu' | 'cuda';
export const EXECUTION_PROVIDERS: readonly ExecutionProviderChoice[] = ['auto', 'cpu', 'cuda'];

export interface RunnerOptions {
  /** `auto`: CUDA when its provider loads, else CPU. `cuda`: CUDA or an error. Default `cpu`. */
  executionProvider?: ExecutionProviderChoice;
  /** onnxruntime intra-op threads (default 1: deterministic scheduling, one core per session). */
  intraOpThreads?: number;
}

export interface DecoderDims {
  layers: number;
  /** Heads of the KV cache (fewer than the query heads under grouped-query attention). */
  kvHeads: number;
  headDim: number;
  hidden: number;
  vocab: number;
  context: number;
}

/**
 * Keys and values of every layer for a batch, plus the attention mask so far (left padding is
 * 0) and each row's next position id. Immutable: a forward pass returns a new cache.
 */
export interface KvCache {
  readonly batch: number;
  /** Columns of the mask (= past length of the keys, padding included). */
  readonly length: number;
  readonly mask: BigInt64Array;
  readonly nextPosition: readonly number[];
  readonly keys: readonly ort.Tensor[];
  readonly values: readonly ort.Tensor[];
}

export interface ForwardResult {
  /** [batch, seq, vocab] */
  logits: Float32Array;
  /**
   * Per layer [batch, seq, hidden], when asked for: every layer for `true`, only the asked-for
   * indices for a layer set (the others are holes).
   */
  hidden: Float32Array[] | null;
  seq: number;
  cache: KvCache;
}

/** A prefill that keeps no cache: what a teacher-forced pass needs. */
export interface PassResult {
  /** [batch, seq, vocab] */
  logits: Float32Array;
  /** Per layer [batch, seq, hidden]. */
  hidden: Float32Array[];
  seq: number;
}

/** A decoder session on onnxruntime-node: prefill and incremental decode with a KV cache. */
export class DecoderRunner {
  private readonly fetchAll: string[];
  private readonly fetchNoHidden: string[];
  /** Logits and hidden states without the present keys/values (a teacher-forced pass never decodes on). */
  private readonly fetchNoCache: string[];

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly dims: DecoderDims,
    /** The execution provider the session actually runs on. */
    readonly provider: ExecutionProviderUsed,
    readonly intraOpThreads: number,
  ) {
    const kv: string[] = [];
    for (let l = 0; l < dims.layers; l++) kv.push(presentKey(l), presentValue(l));
    this.fetchNoHidden = [LOGITS, ...kv];
    const hiddenNames = Array.from({ length: dims.layers }, (_, l) => hiddenState(l));
    this.fetchAll = [...this.fetchNoHidden, ...hiddenNames];
    this.fetchNoCache = [LOGITS, ...hiddenNames];
  }

  static async create(onnx: Uint8Array, descriptor: ModelDescriptor, options: RunnerOptions = {}): Promise<DecoderRunner> {
    const choice = options.executionProvider ?? 'cpu';
    if (!EXECUTION_PROVIDERS.includes(choice)) {
      throw new ModelError(
        ModelErrorCode.InvalidOption,
        'executionProvider',
        `must be one of ${EXECUTION_PROVIDERS.join(', ')}, got ${String(choice)}`,
      );
    }
    const threads = options.intraOpThreads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new ModelError(ModelErrorCode.InvalidOption, 'intraOpThreads', `must be an integer in [1, 256], got ${threads}`);
    }
    const base: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Flush subnormal floats to zero. With sampled (not greedy) tokens, activations of this
      // model family hit subnormals often enough that x86 microcode assists made decode ~8%
      // slower; values below 1e-38 change no logit or probe at the tolerances verification uses.
      extra: { session: { set_denormal_as_zero: '1' } },
    };
    let session: ort.InferenceSession | undefined;
    let provider: ExecutionProviderUsed = 'cpu';
    // `auto` only tries CUDA when its provider library is installed beside the binding (the
    // `onnxruntime-node-install=cuda12` layout the CUDA image uses): a failed attempt makes
    // onnxruntime print a load error on every CPU-only machine.
    if (choice === 'cuda' || (choice === 'auto' && cudaProviderInstalled())) {
      try {
        // Without its shared libraries the CUDA provider fails at session creation: that is the
        // availability test (listSupportedBackends only says whether a build could have it).
        session = await ort.InferenceSession.create(onnx, { ...base, executionProviders: ['cuda'], logSeverityLevel: 4 });
        provider = 'cuda';
      } catch (e) {
        if (choice === 'cuda') {
          throw new ModelError(ModelErrorCode.ExecutionProvider, 'executionProvider', `CUDA requested but unavailable (${errorText(e)})`);
        }
      }
    }
    if (session === undefined) {
      try {
        session = await ort.InferenceSession.create(onnx, { ...base, executionProviders: ['cpu'] });
      } catch (e) {
        throw new ModelError(ModelErrorCode.MalformedModel, 'file', `onnxruntime cannot load the model (${errorText(e)})`);
      }
    }
    const dims = checkGraph(session, descriptor);
    return new DecoderRunner(session, dims, provider, threads);
  }

  emptyCache(batch: number): KvCache {
    const { layers, kvHeads, headDim } = this.dims;
    const empty = (): ort.Tensor => new ort.Tensor('float32', new Float32Array(0), [batch, kvHeads, 0, headDim]);
    return {
      batch,
      length: 0,
      mask: new BigInt64Array(0),
      nextPosition: new Array<number>(batch).fill(0),
      keys: Array.from({ length: layers }, empty),
      values: Array.from({ length: layers }, empty),
    };
  }

  /**
   * Prompts of different lengths in one batch, left-padded: padding is masked out and real
   * tokens keep positions 0, 1, ... so each row computes what it would alone (up to float
   * summation order).
   */
  async prefill(prompts: readonly (readonly number[])[], hidden: boolean | ReadonlySet<number>): Promise<ForwardResult> {
    const { rows, pads } = leftPadded(prompts);
    return this.forward(this.emptyCache(prompts.length), rows, hidden, pads);
  }

  /**
   * The same prefill, fetching only logits and hidden states. The present keys and values are
   * computed either way (attention reads them) but not copied out to JS: for a 143-position pass
   * of the small model that is 1.75 MB per pass a verifier would throw away.
   */
  async prefillNoCache(prompts: readonly (readonly number[])[]): Promise<PassResult> {
    const { rows, pads } = leftPadded(prompts);
    const { feeds, seq } = this.feeds(this.emptyCache(prompts.length), rows, pads);
    const out = await this.run(feeds, this.fetchNoCache);
    return {
      logits: (out[LOGITS] as ort.Tensor).data as Float32Array,
      hidden: hiddenRows(out, null, this.dims.layers),
      seq,
    };
  }

  /**
   * Feeds `rows` (same length per row) after the cache. `leftPad[b]` leading entries of row b
   * are padding (masked, position 0), for a first call on an empty cache.
   */
  async forward(
    cache: KvCache,
    rows: readonly (readonly number[])[],
    hidden: boolean | ReadonlySet<number>,
    leftPad?: readonly number[],
  ): Promise<ForwardResult> {
    const { feeds, seq, total, mask, nextPosition } = this.feeds(cache, rows, leftPad);
    // A layer set fetches only those layers: every fetched output is one more tensor copied out
    // to JS (ASLI generation reads one or two layers at a probed step, not all of them).
    const layers = hidden === true ? null : hidden === false ? [] : [...hidden].sort((a, b) => a - b);
    if (layers?.some((l) => !Number.isInteger(l) || l < 0 || l >= this.dims.layers)) {
      throw new ModelError(
        ModelErrorCode.InvalidOption,
        'hidden',
        `layers must be integers in [0, ${this.dims.layers}), got ${layers.join(', ')}`,
      );
    }
    const fetches =
      layers === null ? this.fetchAll : layers.length === 0 ? this.fetchNoHidden : [...this.fetchNoHidden, ...layers.map(hiddenState)];
    const out = await this.run(feeds, fetches);
    const keys: ort.Tensor[] = [];
    const values: ort.Tensor[] = [];
    for (let l = 0; l < this.dims.layers; l++) {
      keys.push(out[presentKey(l)] as ort.Tensor);
      values.push(out[presentValue(l)] as ort.Tensor);
    }
    return {
      logits: (out[LOGITS] as ort.Tensor).data as Float32Array,
      hidden: layers !== null && layers.length === 0 ? null : hiddenRows(out, layers, this.dims.layers),
      seq,
      cache: { batch: rows.length, length: total, mask, nextPosition, keys, values },
    };
  }

  private feeds(
    cache: KvCache,
    rows: readonly (readonly number[])[],
    leftPad?: readonly number[],
  ): { feeds: Record<string, ort.Tensor>; seq: number; total: number; mask: BigInt64Array; nextPosition: number[] } {
    const batch = rows.length;
    const seq = rows[0]?.length ?? 0;
    if (batch !== cache.batch || seq === 0 || rows.some((r) => r.length !== seq)) {
      throw new ModelError(ModelErrorCode.InvalidOption, 'rows', `need ${cache.batch} rows of equal, non-zero length`);
    }
    const total = cache.length + seq;
    if (total > this.dims.context) {
      throw new ModelError(ModelErrorCode.InvalidTask, 'promptTokens', `${total} positions exceed the context length ${this.dims.context}`);
    }
    const ids = new BigInt64Array(batch * seq);
    const positions = new BigInt64Array(batch * seq);
    const mask = new BigInt64Array(batch * total);
    const nextPosition: number[] = [];
    for (let b = 0; b < batch; b++) {
      const row = rows[b] as readonly number[];
      const pad = leftPad?.[b] ?? 0;
      let pos = cache.nextPosition[b] as number;
      for (let i = 0; i < cache.length; i++) mask[b * total + i] = cache.mask[b * cache.length + i] as bigint;
      for (let i = 0; i < seq; i++) {
        ids[b * seq + i] = BigInt(row[i] as number);
        if (i < pad) continue; // padding: id ignored, mask 0, position 0
        mask[b * total + cache.length + i] = 1n;
        positions[b * seq + i] = BigInt(pos++);
      }
      nextPosition.push(pos);
    }
    const feeds: Record<string, ort.Tensor> = {
      [INPUT_IDS]: new ort.Tensor('int64', ids, [batch, seq]),
      [ATTENTION_MASK]: new ort.Tensor('int64', mask, [batch, total]),
      [POSITION_IDS]: new ort.Tensor('int64', positions, [batch, seq]),
    };
    for (let l = 0; l < this.dims.layers; l++) {
      feeds[pastKey(l)] = cache.keys[l] as ort.Tensor;
      feeds[pastValue(l)] = cache.values[l] as ort.Tensor;
    }
    return { feeds, seq, total, mask, nextPosition };
  }

  /**
   * onnxruntime-node 1.30 runs the session synchronously on the JS thread (its backend wraps the
   * native Run in a setImmediate), so nothing else in this process runs while a pass is in
   * flight: there is no idle JS time to hide protocol work in.
   */
  private async run(feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<ort.InferenceSession.ReturnType> {
    try {
      return await this.session.run(feeds, fetches);
    } catch (e) {
      throw new ModelError(ModelErrorCode.Runtime, 'session', `onnxruntime run failed (${errorText(e)})`);
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function leftPadded(prompts: readonly (readonly number[])[]): { rows: number[][]; pads: number[] } {
  const width = Math.max(...prompts.map((p) => p.length));
  return {
    rows: prompts.map((p) => [...new Array<number>(width - p.length).fill(0), ...p]),
    pads: prompts.map((p) => width - p.length),
  };
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

type TensorMeta = ort.InferenceSession.TensorValueMetadata;

/**
 * The graph must expose the I/O contract in decoder.io.ts with the descriptor's sizes, so a
 * mounted model that disagrees with its descriptor fails at load, not mid-task.
 */
function checkGraph(session: ort.InferenceSession, d: ModelDescriptor): DecoderDims {
  const mismatch = (field: string, message: string): ModelError => new ModelError(ModelErrorCode.ModelFileMismatch, field, message);
  const meta = (list: readonly ort.InferenceSession.ValueMetadata[], name: string, field: string): TensorMeta => {
    const m = list.find((x) => x.name === name);
    if (m === undefined || !m.isTensor) throw mismatch(field, `the model has no tensor ${kindOf(list, session)} named ${name}`);
    return m;
  };
  const dimIs = (m: TensorMeta, axis: number, expected: number, field: string): void => {
    const got = m.shape[axis];
    if (typeof got === 'number' && got !== expected) {
      throw mismatch(field, `descriptor says ${expected} but ${m.name} has ${got} at axis ${axis}`);
    }
  };
  const hiddenOutputs = session.outputNames.filter((n) => n.startsWith('hidden_states.')).length;
  if (hiddenOutputs !== d.layers)
    throw mismatch('layers', `descriptor says ${d.layers} but the model has ${hiddenOutputs} hidden_states outputs`);
  for (const name of [INPUT_IDS, ATTENTION_MASK, POSITION_IDS]) {
    const m = meta(session.inputMetadata, name, 'file');
    if (m.type !== 'int64') throw mismatch('file', `${name} must be int64, is ${m.type}`);
  }
  const headDim = d.hidden / d.heads;
  for (let l = 0; l < d.layers; l++) {
    for (const name of [pastKey(l), pastValue(l)]) {
      const m = meta(session.inputMetadata, name, 'layers');
      dimIs(m, 1, kvHeadsOf(d), d.kvHeads === undefined ? 'heads' : 'kvHeads');
      dimIs(m, 3, headDim, 'hidden');
    }
    for (const name of [presentKey(l), presentValue(l)]) meta(session.outputMetadata, name, 'layers');
    dimIs(meta(session.outputMetadata, hiddenState(l), 'layers'), 2, d.hidden, 'hidden');
  }
  dimIs(meta(session.outputMetadata, LOGITS, 'file'), 2, d.vocabSize, 'vocabSize');
  return { layers: d.layers, kvHeads: kvHeadsOf(d), headDim, hidden: d.hidden, vocab: d.vocabSize, context: d.contextLength };
}

function kindOf(list: readonly ort.InferenceSession.ValueMetadata[], session: ort.InferenceSession): string {
  return list === session.inputMetadata ? 'input' : 'output';
}

/** Whether onnxruntime-node's CUDA execution provider library sits beside its native binding. */
export function cudaProviderInstalled(): boolean {
  try {
    const binding = require.resolve('onnxruntime-node/package.json');
    const dir = join(dirname(binding), 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(dir, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** The hidden-state outputs `layers` asked for (null: all `count` of them), indexed by layer. */
function hiddenRows(out: ort.InferenceSession.ReturnType, layers: readonly number[] | null, count: number): Float32Array[] {
  const rows: Float32Array[] = [];
  for (const l of layers ?? Array.from({ length: count }, (_, i) => i)) rows[l] = (out[hiddenState(l)] as ort.Tensor).data as Float32Array;
  return rows;
}
