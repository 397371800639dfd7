import { onnx } from 'onnx-proto';
import { ATTENTION_MASK, hiddenState, INPUT_IDS, LOGITS, pastKey, pastValue, POSITION_IDS, presentKey, presentValue } from './decoder.io';

export interface EncodeOptions {
  /**
   * Tamper variant for the audit: the last `n` blocks add nothing to the residual stream (their
   * keys and values are still computed, as the I/O contract has them), which is what a node
   * skipping them to save time would return.
   */
  skipLastBlocks?: number;
}

/** Standard ONNX ops only, at an opset both the CPU and CUDA execution providers implement. */
export const OPSET = 17;
export const IR_VERSION = 8;
/** The additive bias of a masked attention score: exp(-1e9 - max) is 0 in float32. */
const MASKED = -1e9;

export const T = onnx.TensorProto.DataType;
export const A = onnx.AttributeProto.AttributeType;

export type Dim = number | string;

/** Collects nodes and initialisers in insertion order, so the encoding is deterministic. */
export class GraphBuilder {
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

export const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: A.INTS, ints: values });
export const int = (name: string, value: number): onnx.IAttributeProto => ({ name, type: A.INT, i: value });
export const flt = (name: string, value: number): onnx.IAttributeProto => ({ name, type: A.FLOAT, f: value });

export function valueInfo(name: string, elemType: number, dims: readonly Dim[]): onnx.IValueInfoProto {
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
 * Additive attention bias [batch, 1, seq, past + seq] from the contract's attention_mask: query i
 * (absolute position past + i) sees key j iff j <= past + i and key j is not padding.
 */
export function attentionBias(g: GraphBuilder): string {
  const zero = g.int64('const.bias_zero', [0], true);
  const one = g.int64('const.bias_one', [1], true);
  const axis1 = g.int64('const.bias_axes1', [1]);
  const axes12 = g.int64('const.bias_axes12', [1, 2]);
  const fZero = g.scalarFloat('const.f_zero', 0);
  const fMasked = g.scalarFloat('const.f_masked', MASKED);
  const seqLen = g.node('Gather', [g.node('Shape', [INPUT_IDS]), one], [int('axis', 0)]);
  const totalLen = g.node('Gather', [g.node('Shape', [ATTENTION_MASK]), one], [int('axis', 0)]);
  const pastLen = g.node('Sub', [totalLen, seqLen]);
  const keyPos = g.node('Range', [zero, totalLen, one]);
  const queryPos = g.node('Unsqueeze', [g.node('Range', [pastLen, totalLen, one]), axis1]);
  const causal = g.node('LessOrEqual', [keyPos, queryPos]);
  const notPad = g.node('Unsqueeze', [g.node('Cast', [ATTENTION_MASK], [int('to', T.BOOL)]), axes12]);
  return g.node('Where', [g.node('And', [causal, notPad]), fZero, fMasked]);
}

/** The inputs and outputs of the decoder I/O contract (decoder.io.ts) at the given sizes. */
export function contractIo(d: { layers: number; kvHeads: number; headDim: number; hidden: number; vocab: number }): {
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
} {
  const inputs: onnx.IValueInfoProto[] = [
    valueInfo(INPUT_IDS, T.INT64, ['batch', 'seq']),
    valueInfo(ATTENTION_MASK, T.INT64, ['batch', 'total']),
    valueInfo(POSITION_IDS, T.INT64, ['batch', 'seq']),
  ];
  const outputs: onnx.IValueInfoProto[] = [valueInfo(LOGITS, T.FLOAT, ['batch', 'seq', d.vocab])];
  for (let l = 0; l < d.layers; l++) {
    inputs.push(valueInfo(pastKey(l), T.FLOAT, ['batch', d.kvHeads, 'past', d.headDim]));
    inputs.push(valueInfo(pastValue(l), T.FLOAT, ['batch', d.kvHeads, 'past', d.headDim]));
    outputs.push(valueInfo(presentKey(l), T.FLOAT, ['batch', d.kvHeads, 'total', d.headDim]));
    outputs.push(valueInfo(presentValue(l), T.FLOAT, ['batch', d.kvHeads, 'total', d.headDim]));
  }
  for (let l = 0; l < d.layers; l++) outputs.push(valueInfo(hiddenState(l), T.FLOAT, ['batch', 'seq', d.hidden]));
  return { inputs, outputs };
}
