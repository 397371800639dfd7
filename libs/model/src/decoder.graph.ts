import { onnx } from 'onnx-proto';
import type { DecoderConfig } from './decoder.config';
import { headDim } from './decoder.config';
import { hiddenState, INPUT_IDS, LOGITS, pastKey, pastValue, POSITION_IDS, presentKey, presentValue } from './decoder.io';
import type { DecoderWeights } from './decoder.weights';
import { type EncodeOptions, attentionBias, contractIo, flt, GraphBuilder, int, ints, IR_VERSION, OPSET } from './onnx.builder';

export { OPSET } from './onnx.builder';

const LN_EPSILON = 1e-5;

/**
 * Encodes a GPT-style pre-norm decoder: token + learned position embeddings, `layers` blocks of
 * (LayerNorm, causal multi-head attention over past + new keys, residual, LayerNorm, GELU MLP,
 * residual), final LayerNorm, LM head. One graph serves prefill (past = 0) and incremental decode,
 * any batch size, with left padding expressed by attention_mask.
 */
export function encodeDecoder(config: DecoderConfig, weights: DecoderWeights, options: EncodeOptions = {}): Uint8Array {
  const skipFrom = config.layers - (options.skipLastBlocks ?? 0);
  const g = new GraphBuilder();
  const w = new Map(weights.map((t) => [t.name, t]));
  const param = (name: string): string => {
    const t = w.get(name);
    if (t === undefined) throw new Error(`missing weight ${name}`);
    return g.float(name, t.dims, t.data);
  };
  const hd = headDim(config);
  const { hidden: h, heads: nh } = config;

  const headsShape = g.int64('const.heads_shape', [0, 0, nh, hd]);
  const mergeShape = g.int64('const.merge_shape', [0, 0, h]);
  const fHalf = g.scalarFloat('const.f_half', 0.5);
  const fOne = g.scalarFloat('const.f_one', 1);
  const fInvSqrt2 = g.scalarFloat('const.f_inv_sqrt2', Math.SQRT1_2);
  const fScale = g.scalarFloat('const.f_attn_scale', 1 / Math.sqrt(hd));
  const bias = attentionBias(g);

  const tok = g.node('Gather', [param('wte'), INPUT_IDS], [int('axis', 0)]);
  const pos = g.node('Gather', [param('wpe'), POSITION_IDS], [int('axis', 0)]);
  let x = g.node('Add', [tok, pos]);

  const layerNorm = (input: string, prefix: string): string =>
    g.node(
      'LayerNormalization',
      [input, param(`${prefix}.weight`), param(`${prefix}.bias`)],
      [int('axis', -1), flt('epsilon', LN_EPSILON)],
    );
  const linear = (input: string, prefix: string): string =>
    g.node('Add', [g.node('MatMul', [input, param(`${prefix}.weight`)]), param(`${prefix}.bias`)]);
  const splitHeads = (t: string): string => g.node('Transpose', [g.node('Reshape', [t, headsShape])], [ints('perm', [0, 2, 1, 3])]);

  for (let l = 0; l < config.layers; l++) {
    const p = `h.${l}`;
    const blockInput = x;
    const qkv = linear(layerNorm(x, `${p}.ln_1`), `${p}.attn.c_attn`);
    const [q = '', k = '', v = ''] = g.nodeMulti('Split', [qkv], 3, [int('axis', 2)]);
    const q4 = g.node('Mul', [splitHeads(q), fScale]);
    const keys = g.node('Concat', [pastKey(l), splitHeads(k)], [int('axis', 2)], presentKey(l));
    const values = g.node('Concat', [pastValue(l), splitHeads(v)], [int('axis', 2)], presentValue(l));
    const scores = g.node('Add', [g.node('MatMul', [q4, g.node('Transpose', [keys], [ints('perm', [0, 1, 3, 2])])]), bias]);
    const probs = g.node('Softmax', [scores], [int('axis', -1)]);
    const context = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, values])], [ints('perm', [0, 2, 1, 3])]), mergeShape]);
    x = g.node('Add', [x, linear(context, `${p}.attn.c_proj`)]);
    // Exact GELU, 0.5 x (1 + erf(x / sqrt 2)): the Gelu op itself only exists from opset 20.
    const fc = linear(layerNorm(x, `${p}.ln_2`), `${p}.mlp.c_fc`);
    const erf = g.node('Erf', [g.node('Mul', [fc, fInvSqrt2])]);
    const gelu = g.node('Mul', [g.node('Mul', [fc, fHalf]), g.node('Add', [erf, fOne])]);
    const mlp = linear(gelu, `${p}.mlp.c_proj`);
    x = l < skipFrom ? g.node('Add', [x, mlp], [], hiddenState(l)) : g.node('Identity', [blockInput], [], hiddenState(l));
  }
  g.node('MatMul', [layerNorm(x, 'ln_f'), param('lm_head.weight')], [], LOGITS);

  const { inputs, outputs } = contractIo({ layers: config.layers, kvHeads: nh, headDim: hd, hidden: h, vocab: config.vocabSize });
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
