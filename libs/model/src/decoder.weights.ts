import type { DecoderConfig } from './decoder.config';
import { uniformWeights, WeightPrng } from './weights.prng';

/** One named float32 tensor of the decoder. Matrices are stored [in, out] (ONNX MatMul's B). */
export interface WeightTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
  /** Matrices get per-output-channel int8 quantisation in the tamper variant; norms and biases do not. */
  readonly kind: 'matrix' | 'embedding' | 'vector';
}

export type DecoderWeights = readonly WeightTensor[];

/**
 * Seeded weights scaled like a real init but with enough spread that the next-token
 * distribution is far from uniform (an untrained GPT-2 init gives near-uniform logits, which
 * would make every sampling test trivial).
 */
export function generateWeights(config: DecoderConfig): DecoderWeights {
  const { seed, vocabSize: v, contextLength: c, hidden: h, mlpHidden: m } = config;
  const out: WeightTensor[] = [];
  const matrix = (name: string, rows: number, cols: number, std: number): void => {
    out.push({ name, dims: [rows, cols], data: uniformWeights(seed, name, rows * cols, std), kind: 'matrix' });
  };
  const vector = (name: string, len: number, std: number, mean = 0): void => {
    out.push({ name, dims: [len], data: uniformWeights(seed, name, len, std, mean), kind: 'vector' });
  };
  out.push({ name: 'wte', dims: [v, h], data: uniformWeights(seed, 'wte', v * h, 1), kind: 'embedding' });
  out.push({ name: 'wpe', dims: [c, h], data: uniformWeights(seed, 'wpe', c * h, 0.5), kind: 'embedding' });
  for (let l = 0; l < config.layers; l++) {
    const p = `h.${l}`;
    vector(`${p}.ln_1.weight`, h, 0.1, 1);
    vector(`${p}.ln_1.bias`, h, 0.05);
    // Slightly sharper than 1/sqrt(h) so attention is not uniform and context matters.
    matrix(`${p}.attn.c_attn.weight`, h, 3 * h, 1.5 / Math.sqrt(h));
    vector(`${p}.attn.c_attn.bias`, 3 * h, 0.02);
    matrix(`${p}.attn.c_proj.weight`, h, h, 1 / Math.sqrt(h));
    vector(`${p}.attn.c_proj.bias`, h, 0.02);
    vector(`${p}.ln_2.weight`, h, 0.1, 1);
    vector(`${p}.ln_2.bias`, h, 0.05);
    matrix(`${p}.mlp.c_fc.weight`, h, m, 1 / Math.sqrt(h));
    vector(`${p}.mlp.c_fc.bias`, m, 0.02);
    matrix(`${p}.mlp.c_proj.weight`, m, h, 1 / Math.sqrt(m));
    vector(`${p}.mlp.c_proj.bias`, h, 0.02);
  }
  vector('ln_f.weight', h, 0.1, 1);
  vector('ln_f.bias', h, 0.05);
  // Logit std about 2.5: a peaked but not one-hot next-token distribution.
  matrix('lm_head.weight', h, v, 2.5 / Math.sqrt(h));
  return out;
}

/**
 * "Other weights" tamper: every tensor plus seeded noise of `relative` times its RMS, as a
 * fine-tuned or otherwise different checkpoint of the same architecture would be.
 */
export function perturbWeights(weights: DecoderWeights, seed: string, relative: number): DecoderWeights {
  return weights.map((t) => {
    const rms = Math.sqrt(t.data.reduce((s, x) => s + x * x, 0) / t.data.length);
    const prng = new WeightPrng(seed, `perturb/${t.name}`);
    const bound = relative * rms * Math.sqrt(3);
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = (t.data[i] ?? 0) + bound * prng.nextSigned();
    return { ...t, data };
  });
}

/**
 * "Quantised model" tamper: matrices and embeddings rounded through symmetric int8 per output
 * channel (columns of [in, out] matrices, rows of embedding tables) and dequantised, the usual
 * weight-only int8 recipe; norms and biases stay float as they do in practice.
 */
export function quantizeWeightsInt8(weights: DecoderWeights): DecoderWeights {
  return weights.map((t) => {
    if (t.kind === 'vector') return t;
    const [rows = 0, cols = 0] = t.dims;
    const data = new Float32Array(t.data.length);
    const perColumn = t.kind === 'matrix';
    const channels = perColumn ? cols : rows;
    const span = perColumn ? rows : cols;
    for (let ch = 0; ch < channels; ch++) {
      const at = (k: number): number => (perColumn ? k * cols + ch : ch * cols + k);
      let max = 0;
      for (let k = 0; k < span; k++) max = Math.max(max, Math.abs(t.data[at(k)] ?? 0));
      const scale = max / 127 || 1;
      for (let k = 0; k < span; k++) data[at(k)] = Math.round((t.data[at(k)] ?? 0) / scale) * scale;
    }
    return { ...t, data };
  });
}
