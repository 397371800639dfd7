import { onnx } from 'onnx-proto';
import { hiddenState, INPUT_IDS, LOGITS, pastKey, pastValue, POSITION_IDS, presentKey, presentValue } from './decoder.io';
import { attentionBias, contractIo, type EncodeOptions, GraphBuilder, int, ints, IR_VERSION, OPSET, T } from './onnx.builder';

/** The architecture of a Llama-family decoder, as its GGUF metadata states it. */
export interface LlamaConfig {
  readonly modelId: string;
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  /** Key/value heads (grouped-query attention): `heads / kvHeads` query heads share one. */
  readonly kvHeads: number;
  readonly ffn: number;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly ropeBase: number;
  readonly rmsEps: number;
}

/**
 * Where the graph gets its weights, all float32 in ggml's layout: a linear layer's matrix is
 * `out` rows of `in` weights (so y = W x), norms are vectors. `attn_q` and `attn_k` are in the
 * row order llama.cpp's converter leaves them, which pairs adjacent elements for RoPE.
 */
export interface LlamaWeights {
  /** [vocab, hidden]: the token embedding, and the LM head too when `output.weight` is absent. */
  embedding(): Float32Array;
  /** The separate LM head [vocab, hidden], or null when it is tied to the embedding. */
  head(): Float32Array | null;
  /** `blk.{l}.{name}` or `output_norm`. */
  vector(name: string): Float32Array;
  /** `blk.{l}.{name}` as [out, in]. */
  matrix(name: string, out: number, inDim: number): Float32Array;
}

/**
 * Encodes a Llama decoder under the project's decoder I/O contract (decoder.io.ts): token
 * embedding, `layers` blocks of (RMSNorm, grouped-query attention with rotary position
 * embedding, residual, RMSNorm, SwiGLU MLP, residual), final RMSNorm, LM head. Standard ONNX ops
 * only. One graph serves prefill and incremental decode, any batch size, with left padding in
 * attention_mask; the KV cache has `kvHeads` heads. The encoding is a pure function of its
 * inputs: two imports of one file are byte-identical.
 */
export function encodeLlama(config: LlamaConfig, weights: LlamaWeights, options: EncodeOptions = {}): Uint8Array {
  const skipFrom = config.layers - (options.skipLastBlocks ?? 0);
  const { layers, hidden: h, heads: nh, kvHeads: nkv, ffn, vocabSize: vocab } = config;
  if (h % nh !== 0 || nh % nkv !== 0 || (h / nh) % 2 !== 0) {
    throw new Error(`inconsistent heads: hidden ${h}, heads ${nh}, kvHeads ${nkv}`);
  }
  const hd = h / nh;
  const group = nh / nkv;
  const g = new GraphBuilder();

  const bias = attentionBias(g);
  // [batch, 1, 1, seq, total]: broadcast over the KV head and the group axis of the scores.
  const bias5 = g.node('Unsqueeze', [bias, g.int64('const.axes2', [2])]);

  // Rotary angles, shared by every layer: position p, pair i rotates by p * base^(-2i / headDim).
  const invFreq = new Float32Array(hd / 2).map((_, i) => config.ropeBase ** (-(2 * i) / hd));
  const positions = g.node('Cast', [POSITION_IDS], [int('to', T.FLOAT)]);
  const angles = g.node('Mul', [
    g.node('Unsqueeze', [positions, g.int64('const.axes_last2', [2])]),
    g.float('rope.inv_freq', [hd / 2], invFreq),
  ]);
  const ropeAxes = g.int64('const.axes_rope', [2, 4]);
  const cos = g.node('Unsqueeze', [g.node('Cos', [angles]), ropeAxes]); // [batch, seq, 1, hd/2, 1]
  const sin = g.node('Unsqueeze', [g.node('Sin', [angles]), ropeAxes]);

  const pairsShape = (n: number): string => g.int64(`const.pairs_${n}`, [0, 0, n, hd / 2, 2]);
  const headsShape = (n: number): string => g.int64(`const.heads_${n}`, [0, 0, n, hd]);
  const qPairs = pairsShape(nh);
  const kPairs = nkv === nh ? qPairs : pairsShape(nkv);
  const qHeads = headsShape(nh);
  const kHeads = nkv === nh ? qHeads : headsShape(nkv);
  const groupShape = g.int64('const.group_shape', [0, nkv, group, -1, hd]);
  const mergeHeadsShape = g.int64('const.merge_heads', [0, nh, -1, hd]);
  const mergeShape = g.int64('const.merge_shape', [0, 0, h]);
  const fTwo = g.scalarFloat('const.f_two', 2);
  const fEps = g.scalarFloat('const.f_rms_eps', config.rmsEps);
  const fScale = g.scalarFloat('const.f_attn_scale', 1 / Math.sqrt(hd));
  const kvAxis = g.int64('const.axes_kv', [2]);

  // x / sqrt(mean(x^2) + eps) * weight, in the pattern onnxruntime fuses into one RMSNorm kernel.
  const rmsNorm = (x: string, name: string): string => {
    const meanSquare = g.node('ReduceMean', [g.node('Pow', [x, fTwo])], [ints('axes', [-1]), int('keepdims', 1)]);
    const normed = g.node('Div', [x, g.node('Sqrt', [g.node('Add', [meanSquare, fEps])])]);
    return g.node('Mul', [normed, g.float(`${name}.weight`, [h], weights.vector(name))]);
  };
  // y = x W^T: ONNX MatMul wants [in, out].
  const linear = (x: string, name: string, out: number, inDim: number): string =>
    g.node('MatMul', [x, g.float(`${name}.weight`, [inDim, out], transpose(weights.matrix(name, out, inDim), out, inDim))]);
  // Rotates adjacent pairs (x[2i], x[2i+1]) of every head; in: [batch, seq, n * hd], out: [batch, n, seq, hd].
  const rope = (x: string, n: number, pairs: string, headShape: string): string => {
    const [x0 = '', x1 = ''] = g.nodeMulti('Split', [g.node('Reshape', [x, pairs])], 2, [int('axis', -1)]);
    const r0 = g.node('Sub', [g.node('Mul', [x0, cos]), g.node('Mul', [x1, sin])]);
    const r1 = g.node('Add', [g.node('Mul', [x0, sin]), g.node('Mul', [x1, cos])]);
    const rotated = g.node('Reshape', [g.node('Concat', [r0, r1], [int('axis', -1)]), headShape]);
    return g.node('Transpose', [rotated], [ints('perm', [0, 2, 1, 3])]);
  };
  const splitHeads = (x: string, headShape: string): string =>
    g.node('Transpose', [g.node('Reshape', [x, headShape])], [ints('perm', [0, 2, 1, 3])]);

  const embedding = weights.embedding();
  if (embedding.length !== vocab * h) throw new Error(`token embedding has ${embedding.length} weights, expected ${vocab * h}`);
  const embeddingName = g.float('token_embd.weight', [vocab, h], embedding);
  let x = g.node('Gather', [embeddingName, INPUT_IDS], [int('axis', 0)]);

  for (let l = 0; l < layers; l++) {
    const p = `blk.${l}`;
    const blockInput = x;
    const a = rmsNorm(x, `${p}.attn_norm`);
    const q = g.node('Mul', [rope(linear(a, `${p}.attn_q`, h, h), nh, qPairs, qHeads), fScale]);
    const k = rope(linear(a, `${p}.attn_k`, nkv * hd, h), nkv, kPairs, kHeads);
    const v = splitHeads(linear(a, `${p}.attn_v`, nkv * hd, h), kHeads);
    const keys = g.node('Concat', [pastKey(l), k], [int('axis', 2)], presentKey(l));
    const values = g.node('Concat', [pastValue(l), v], [int('axis', 2)], presentValue(l));
    // Grouped-query attention without copying keys: queries [batch, kv, group, seq, hd] against
    // keys [batch, kv, 1, total, hd], broadcast over the group axis.
    const qGrouped = g.node('Reshape', [q, groupShape]);
    const keysT = g.node('Transpose', [g.node('Unsqueeze', [keys, kvAxis])], [ints('perm', [0, 1, 2, 4, 3])]);
    const scores = g.node('Add', [g.node('MatMul', [qGrouped, keysT]), bias5]);
    const probs = g.node('Softmax', [scores], [int('axis', -1)]);
    const context = g.node('MatMul', [probs, g.node('Unsqueeze', [values, kvAxis])]);
    const merged = g.node('Reshape', [
      g.node('Transpose', [g.node('Reshape', [context, mergeHeadsShape])], [ints('perm', [0, 2, 1, 3])]),
      mergeShape,
    ]);
    x = g.node('Add', [x, linear(merged, `${p}.attn_output`, h, h)]);
    const m = rmsNorm(x, `${p}.ffn_norm`);
    const gate = linear(m, `${p}.ffn_gate`, ffn, h);
    const silu = g.node('Mul', [gate, g.node('Sigmoid', [gate])]);
    const up = linear(m, `${p}.ffn_up`, ffn, h);
    const down = linear(g.node('Mul', [silu, up]), `${p}.ffn_down`, h, ffn);
    x = l < skipFrom ? g.node('Add', [x, down], [], hiddenState(l)) : g.node('Identity', [blockInput], [], hiddenState(l));
  }

  // LM head as Gemm with transB over [vocab, hidden]: a tied head reads the embedding's own
  // initializer (a MatMul would need a transposed copy, 4 * vocab * hidden bytes more).
  const headWeights = weights.head();
  const headName = headWeights === null ? embeddingName : g.float('output.weight', [vocab, h], headWeights);
  const flat = g.node('Reshape', [rmsNorm(x, 'output_norm'), g.int64('const.flat_shape', [-1, h])]);
  const logits2d = g.node('Gemm', [flat, headName], [int('transB', 1)]);
  const logitsShape = g.node('Concat', [g.node('Shape', [INPUT_IDS]), g.int64('const.vocab', [vocab])], [int('axis', 0)]);
  g.node('Reshape', [logits2d, logitsShape], [], LOGITS);

  const { inputs, outputs } = contractIo({ layers, kvHeads: nkv, headDim: hd, hidden: h, vocab });
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'aegis-gguf-import',
    producerVersion: '1',
    docString: `Llama decoder ${config.modelId} imported from GGUF`,
    metadataProps: [{ key: 'aegis.llama', value: JSON.stringify(config) }],
    graph: { name: config.modelId, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c] as number;
  return out;
}
