import { onnx } from 'onnx-proto';
import type { DecoderConfig } from './decoder.config';
import { headDim } from './decoder.config';
import {
  ATTENTION_MASK,
  hiddenState,
  INPUT_IDS,
  LOGITS,
  pastKey,
  pastValue,
  POSITION_IDS,
  presentKey,
  presentValue,
} from './decoder.io';
import type { DecoderWeights } from './decoder.weights';

/** Standard ONNX ops only, at an opset both the CPU and CUDA execution providers implement. */
export const OPSET = 17;
const IR_VERSION = 8;
const LN_EPSILON = 1e-5;
const MASKED = -1e9;

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

type Dim = number | string;

/** Collects nodes and initialisers in insertion order, so the encoding is deterministic. */
class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  node(opType: string, inputs: string[], attrs: onnx.IAttributeProto[] = [], output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({ opType, input: inputs, output: [out], name: `${opType}_${this.nodes.length}`, attribute: attrs });
    return out;
  }

  nodeMulti(opType: string, inputs: string[], outputs: number, attrs: onnx.IAttributeProto[] = []): string[] {
    const outs = Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`);
    this.nodes.push({ opType, input: inputs, output: outs, name: `${opType}_${this.nodes.length}`, attribute: attrs });
    return outs;
  }

  float(name: string, dims: readonly number[], data: Float32Array): string {
    this.initializers.push({ name, dims: [...dims], dataType: T.FLOAT, rawData: littleEndian(data) });
    return name;
  }

  int64(name: string, values: readonly number[], scalar = false): string {
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: scalar ? [] : [values.length], dataType: T.INT64, rawData: littleEndian(data) });
    return name;
  }

  scalarFloat(name: string, value: number): string {
    this.initializers.push({ name, dims: [], dataType: T.FLOAT, rawData: littleEndian(new Float32Array([value])) });
    return name;
  }
}

function littleEndian(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  if (data instanceof Float32Array) data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return bytes;
}

const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: values });
const int = (name: string, value: number): onnx.IAttributeProto => ({ name, type: A.INT, i: value });
const flt = (name: string, value: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f: value });

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Encodes a GPT-style pre-norm decoder: token + learned position embeddings, `layers` blocks of
 * (LayerNorm, causal multi-head attention over past + new keys, residual, LayerNorm, GELU MLP,
 * residual), final LayerNorm, LM head. One graph serves prefill (past = 0) and incremental decode,
 * any batch size, with left padding expressed by attention_mask.
 */
export function encodeDecoder(config: DecoderConfig, weights: DecoderWeights): Uint8Array {
  const g = new GraphBuilder();
  const w = new Map(weights.map((t) => [t.name, t]));
  const param = (name: string): string => {
    const t = w.get(name);
    if (t === undefined) throw new Error(`missing weight ${name}`);
    return g.float(name, t.dims, t.data);
  };
  const hd = headDim(config);
  const { hidden: h, heads: nh } = config;

  const zero = g.int64('const.zero', [0], true);
  const one = g.int64('const.one', [1], true);
  const axis1 = g.int64('const.axes1', [1]);
  const axes12 = g.int64('const.axes12', [1, 2]);
  const headsShape = g.int64('const.heads_shape', [0, 0, nh, hd]);
  const mergeShape = g.int64('const.merge_shape', [0, 0, h]);
  const fZero = g.scalarFloat('const.f_zero', 0);
  const fMasked = g.scalarFloat('const.f_masked', MASKED);
  const fHalf = g.scalarFloat('const.f_half', 0.5);
  const fOne = g.scalarFloat('const.f_one', 1);
  const fInvSqrt2 = g.scalarFloat('const.f_inv_sqrt2', Math.SQRT1_2);
  const fScale = g.scalarFloat('const.f_attn_scale', 1 / Math.sqrt(hd));

  // Additive attention bias [batch, 1, seq, past + seq]: query i (absolute position past + i)
  // sees key j iff j <= past + i and key j is not padding.
  const seqLen = g.node('Gather', [g.node('Shape', [INPUT_IDS]), one], [int('axis', 0)]);
  const totalLen = g.node('Gather', [g.node('Shape', [ATTENTION_MASK]), one], [int('axis', 0)]);
  const pastLen = g.node('Sub', [totalLen, seqLen]);
  const keyPos = g.node('Range', [zero, totalLen, one]);
  const queryPos = g.node('Unsqueeze', [g.node('Range', [pastLen, totalLen, one]), axis1]);
  const causal = g.node('LessOrEqual', [keyPos, queryPos]);
  const notPad = g.node('Unsqueeze', [g.node('Cast', [ATTENTION_MASK], [int('to', T.BOOL)]), axes12]);
  const allowed = g.node('And', [causal, notPad]);
  const bias = g.node('Where', [allowed, fZero, fMasked]);

  const tok = g.node('Gather', [param('wte'), INPUT_IDS], [int('axis', 0)]);
  const pos = g.node('Gather', [param('wpe'), POSITION_IDS], [int('axis', 0)]);
  let x = g.node('Add', [tok, pos]);

  const layerNorm = (input: string, prefix: string): string =>
    g.node('LayerNormalization', [input, param(`${prefix}.weight`), param(`${prefix}.bias`)], [
      int('axis', -1),
      flt('epsilon', LN_EPSILON),
    ]);
  const linear = (input: string, prefix: string): string =>
    g.node('Add', [g.node('MatMul', [input, param(`${prefix}.weight`)]), param(`${prefix}.bias`)]);
  const splitHeads = (t: string): string =>
    g.node('Transpose', [g.node('Reshape', [t, headsShape])], [ints('perm', [0, 2, 1, 3])]);

  for (let l = 0; l < config.layers; l++) {
    const p = `h.${l}`;
    const qkv = linear(layerNorm(x, `${p}.ln_1`), `${p}.attn.c_attn`);
    const [q = '', k = '', v = ''] = g.nodeMulti('Split', [qkv], 3, [int('axis', 2)]);
    const q4 = g.node('Mul', [splitHeads(q), fScale]);
    const keys = g.node('Concat', [pastKey(l), splitHeads(k)], [int('axis', 2)], presentKey(l));
    const values = g.node('Concat', [pastValue(l), splitHeads(v)], [int('axis', 2)], presentValue(l));
    const scores = g.node('Add', [
      g.node('MatMul', [q4, g.node('Transpose', [keys], [ints('perm', [0, 1, 3, 2])])]),
      bias,
    ]);
    const probs = g.node('Softmax', [scores], [int('axis', -1)]);
    const context = g.node('Reshape', [
      g.node('Transpose', [g.node('MatMul', [probs, values])], [ints('perm', [0, 2, 1, 3])]),
      mergeShape,
    ]);
    x = g.node('Add', [x, linear(context, `${p}.attn.c_proj`)]);
    // Exact GELU, 0.5 x (1 + erf(x / sqrt 2)): the Gelu op itself only exists from opset 20.
    const fc = linear(layerNorm(x, `${p}.ln_2`), `${p}.mlp.c_fc`);
    const erf = g.node('Erf', [g.node('Mul', [fc, fInvSqrt2])]);
    const gelu = g.node('Mul', [g.node('Mul', [fc, fHalf]), g.node('Add', [erf, fOne])]);
    x = g.node('Add', [x, linear(gelu, `${p}.mlp.c_proj`)], [], hiddenState(l));
  }
  g.node('MatMul', [layerNorm(x, 'ln_f'), param('lm_head.weight')], [], LOGITS);

  const inputs: onnx.IValueInfoProto[] = [
    valueInfo(INPUT_IDS, T.INT64, ['batch', 'seq']),
    valueInfo(ATTENTION_MASK, T.INT64, ['batch', 'total']),
    valueInfo(POSITION_IDS, T.INT64, ['batch', 'seq']),
  ];
  const outputs: onnx.IValueInfoProto[] = [valueInfo(LOGITS, T.FLOAT, ['batch', 'seq', config.vocabSize])];
  for (let l = 0; l < config.layers; l++) {
    inputs.push(valueInfo(pastKey(l), T.FLOAT, ['batch', nh, 'past', hd]));
    inputs.push(valueInfo(pastValue(l), T.FLOAT, ['batch', nh, 'past', hd]));
    outputs.push(valueInfo(presentKey(l), T.FLOAT, ['batch', nh, 'total', hd]));
    outputs.push(valueInfo(presentValue(l), T.FLOAT, ['batch', nh, 'total', hd]));
  }
  for (let l = 0; l < config.layers; l++) outputs.push(valueInfo(hiddenState(l), T.FLOAT, ['batch', 'seq', h]));

  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'aegis-model-builder',
    producerVersion: '1',
    docString: `Aegis deterministic decoder ${config.modelId}`,
    metadataProps: [{ key: 'aegis.config', value: JSON.stringify(config) }],
    graph: { name: config.modelId, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
