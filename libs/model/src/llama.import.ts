import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { MODEL_ID_PATTERN } from '@aegis/protocol';
import { GgufFile } from './gguf.file';
import { encodeLlama, type LlamaConfig, type LlamaWeights } from './llama.graph';
import { DESCRIPTOR_FILE, type ModelDescriptor, serializeDescriptor, type ToleranceConfig } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { DEFAULT_POW, DEFAULT_PROBE, sha256Hex, writeFileAtomic } from './model.store';

/**
 * The longest context an imported model serves unless told otherwise. A task's cost grows with
 * its length (a verifier re-reads every position), and a 135M model's useful answers are short;
 * the file's own limit is the ceiling.
 */
export const DEFAULT_SERVED_CONTEXT = 2048;

/**
 * Tolerances an imported model ships with until `aegis model calibrate` measures its own: the
 * built-in models' figures. docs/asli.md gives the real model's calibrated ones.
 */
export const IMPORT_TOLERANCE: ToleranceConfig = { eps: 8e-5, epsLogit: 1.1e-4, tol: 8, missBudget: 0 };

export interface ImportOptions {
  modelId: string;
  /** Context the model serves: at most the file's. */
  contextLength?: number;
  tolerance?: ToleranceConfig;
}

export interface ImportedModel {
  dir: string;
  descriptor: ModelDescriptor;
  onnxBytes: number;
  config: LlamaConfig;
  /** Tensor types found, with how many tensors each. */
  tensorTypes: Record<string, number>;
}

const TOKENIZER_FILE = 'tokenizer.json';
const CHAT_TEMPLATE_FILE = 'chat_template.jinja';
/**
 * llama.cpp's name for SmolLM's pre-tokenizer: every numeric character alone (\p{N}, as llama.cpp
 * and the Rust tokenizers split them; tokenizers.js's own Digits splits only ASCII digits, so the
 * split is written as the regex), then GPT-2's byte-level split.
 */
const SUPPORTED_PRE_TOKENIZERS: Readonly<Record<string, object>> = {
  smollm: {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: '\\p{N}' }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    ],
  },
};
/** ggml's token_type for control tokens (special tokens). */
const TOKEN_TYPE_CONTROL = 3;

/** The architecture a Llama GGUF states; anything this importer cannot build is refused by name. */
export function llamaConfigOf(file: GgufFile, options: ImportOptions): LlamaConfig {
  const arch = file.string('general.architecture');
  if (arch !== 'llama')
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      'metadata.general.architecture',
      `architecture ${JSON.stringify(arch)} is not supported (supported: llama)`,
    );
  const hidden = file.uint('llama.embedding_length');
  const heads = file.uint('llama.attention.head_count');
  const kvHeads = file.metadata['llama.attention.head_count_kv'] === undefined ? heads : file.uint('llama.attention.head_count_kv');
  const fileContext = file.uint('llama.context_length', 2);
  const contextLength = options.contextLength ?? Math.min(fileContext, DEFAULT_SERVED_CONTEXT);
  if (contextLength < 2 || contextLength > fileContext) {
    throw new ModelError(
      ModelErrorCode.InvalidOption,
      'contextLength',
      `must be in [2, ${fileContext}] (the file's context), got ${contextLength}`,
    );
  }
  const tokens = file.strings('tokenizer.ggml.tokens');
  const vocabSize = file.metadata['llama.vocab_size'] === undefined ? tokens.length : file.uint('llama.vocab_size');
  if (vocabSize !== tokens.length)
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      'metadata.llama.vocab_size',
      `is ${vocabSize} but the vocabulary has ${tokens.length} tokens`,
    );
  if (hidden % heads !== 0 || heads % kvHeads !== 0) {
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      'metadata.llama.attention.head_count_kv',
      `${heads} heads over ${kvHeads} KV heads do not divide hidden ${hidden}`,
    );
  }
  const ropeDims = file.metadata['llama.rope.dimension_count'] === undefined ? hidden / heads : file.uint('llama.rope.dimension_count');
  if (ropeDims !== hidden / heads)
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      'metadata.llama.rope.dimension_count',
      `partial rotary (${ropeDims} of ${hidden / heads}) is not supported`,
    );
  if (file.metadata['llama.rope.scaling.type'] !== undefined) {
    throw new ModelError(ModelErrorCode.MalformedModel, 'metadata.llama.rope.scaling.type', 'RoPE scaling is not supported');
  }
  return {
    modelId: options.modelId,
    layers: file.uint('llama.block_count'),
    hidden,
    heads,
    kvHeads,
    ffn: file.uint('llama.feed_forward_length'),
    vocabSize,
    contextLength,
    ropeBase: file.metadata['llama.rope.freq_base'] === undefined ? 10000 : file.float('llama.rope.freq_base'),
    rmsEps: file.float('llama.attention.layer_norm_rms_epsilon'),
  };
}

/**
 * How an audit variant changes the weights of the block matrices ([out, in], row-major) before
 * they go into the graph: the cheats a node could try on a real model (a coarser quantisation).
 */
export type MatrixTransform = (weights: Float32Array, out: number, inDim: number) => Float32Array;

function weightsOf(file: GgufFile, c: LlamaConfig, transform?: MatrixTransform): LlamaWeights {
  return {
    embedding: () => file.floats('token_embd.weight', [c.hidden, c.vocabSize]),
    head: () => (file.has('output.weight') ? file.floats('output.weight', [c.hidden, c.vocabSize]) : null),
    vector: (name) => file.floats(`${name}.weight`, [c.hidden]),
    matrix: (name, out, inDim) => {
      const w = file.floats(`${name}.weight`, [inDim, out]);
      return transform === undefined ? w : transform(w, out, inDim);
    },
  };
}

export interface LlamaVariant {
  transform?: MatrixTransform;
  skipLastBlocks?: number;
}

/**
 * The ONNX graph of a GGUF as `importGguf` would write it (same config), changed as `variant`
 * says: the tamper models of the audit. Nothing is written.
 */
export async function encodeGgufVariant(path: string, options: ImportOptions, variant: LlamaVariant): Promise<Uint8Array> {
  const file = await GgufFile.open(path);
  const config = llamaConfigOf(file, options);
  return encodeLlama(
    config,
    weightsOf(file, config, variant.transform),
    variant.skipLastBlocks !== undefined ? { skipLastBlocks: variant.skipLastBlocks } : {},
  );
}

/**
 * Requantised to Q4_0 (blocks of 32 along each row, one scale, no minimum: ggml's rounding,
 * d = max / -8 by the largest-magnitude weight), dequantised again: the same model at a coarser,
 * cheaper quantisation than Q4_1.
 */
export const requantizeQ4_0: MatrixTransform = (w) => {
  const out = new Float32Array(w.length);
  for (let b = 0; b < w.length / 32; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = w[b * 32 + j] as number;
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = Math.fround(max / -8);
    const id = d !== 0 ? 1 / d : 0;
    for (let j = 0; j < 32; j++) {
      const q = Math.min(15, Math.trunc((w[b * 32 + j] as number) * id + 8.5));
      out[b * 32 + j] = (q - 8) * d;
    }
  }
  return out;
};

/** Symmetric int8 per output row (weight-only int8), dequantised again. */
export const requantizeInt8PerRow: MatrixTransform = (w, out, inDim) => {
  const res = new Float32Array(w.length);
  for (let r = 0; r < out; r++) {
    let max = 0;
    for (let c = 0; c < inDim; c++) max = Math.max(max, Math.abs(w[r * inDim + c] as number));
    const scale = max / 127 || 1;
    for (let c = 0; c < inDim; c++) res[r * inDim + c] = Math.round((w[r * inDim + c] as number) / scale) * scale;
  }
  return res;
};

/**
 * A Hugging Face tokenizer.json for the GGUF's byte-level BPE vocabulary: the tokens and merges
 * as stored (ids are positions in `tokenizer.ggml.tokens`), control tokens as special added
 * tokens, and the pre-tokenizer llama.cpp names in `tokenizer.ggml.pre`.
 */
export function tokenizerJsonOf(file: GgufFile): string {
  const model = file.string('tokenizer.ggml.model');
  if (model !== 'gpt2')
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      'metadata.tokenizer.ggml.model',
      `tokenizer ${JSON.stringify(model)} is not supported (supported: gpt2, byte-level BPE)`,
    );
  const pre = file.string('tokenizer.ggml.pre');
  const preTokenizer = SUPPORTED_PRE_TOKENIZERS[pre];
  if (preTokenizer === undefined) {
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      'metadata.tokenizer.ggml.pre',
      `pre-tokenizer ${JSON.stringify(pre)} is not supported (supported: ${Object.keys(SUPPORTED_PRE_TOKENIZERS).join(', ')})`,
    );
  }
  if (file.optionalBool('tokenizer.ggml.add_space_prefix') === true) {
    throw new ModelError(ModelErrorCode.MalformedModel, 'metadata.tokenizer.ggml.add_space_prefix', 'a space prefix is not supported');
  }
  const tokens = file.strings('tokenizer.ggml.tokens');
  const types = file.numbers('tokenizer.ggml.token_type');
  if (types.length !== tokens.length)
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      'metadata.tokenizer.ggml.token_type',
      `has ${types.length} entries for ${tokens.length} tokens`,
    );
  const vocab: Record<string, number> = {};
  tokens.forEach((t, id) => {
    if (Object.prototype.hasOwnProperty.call(vocab, t))
      throw new ModelError(ModelErrorCode.MalformedModel, 'metadata.tokenizer.ggml.tokens', `token ${JSON.stringify(t)} appears twice`);
    vocab[t] = id;
  });
  const added = tokens.flatMap((content, id) =>
    types[id] === TOKEN_TYPE_CONTROL
      ? [{ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }]
      : [],
  );
  const json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: file.strings('tokenizer.ggml.merges'),
    },
  };
  return `${JSON.stringify(json)}\n`;
}

/**
 * Imports a Llama-architecture GGUF into a model folder: the ONNX graph (float32 weights,
 * dequantised from the file's blocks), tokenizer.json, the chat template and model.json pinning
 * all three by sha256. Each file is written atomically and model.json last, so an interrupted
 * import leaves no descriptor pointing at a partial file. Deterministic: same file and options,
 * same bytes.
 */
export async function importGguf(path: string, dir: string, options: ImportOptions): Promise<ImportedModel> {
  if (!MODEL_ID_PATTERN.test(options.modelId))
    throw new ModelError(
      ModelErrorCode.InvalidOption,
      'modelId',
      `must match ${MODEL_ID_PATTERN.source}, got ${JSON.stringify(options.modelId)}`,
    );
  const file = await GgufFile.open(path);
  const config = llamaConfigOf(file, options);
  const tensorTypes: Record<string, number> = {};
  for (const name of file.tensorNames()) {
    const type = file.tensor(name).typeName;
    tensorTypes[type] = (tensorTypes[type] ?? 0) + 1;
  }
  const tokenizerJson = tokenizerJsonOf(file);
  const chatTemplate = file.string('tokenizer.chat_template');
  const bos = file.uint('tokenizer.ggml.bos_token_id', 0, config.vocabSize - 1);
  const eos = file.uint('tokenizer.ggml.eos_token_id', 0, config.vocabSize - 1);

  const onnx = encodeLlama(config, weightsOf(file, config));
  const onnxFile = `${config.modelId}.onnx`;
  const descriptor: ModelDescriptor = {
    modelId: config.modelId,
    file: onnxFile,
    sha256: sha256Hex(onnx),
    tokenizer: {
      kind: 'bpe',
      bos,
      eos,
      vocabulary: { file: TOKENIZER_FILE, sha256: sha256Text(tokenizerJson) },
      chatTemplate: { file: CHAT_TEMPLATE_FILE, sha256: sha256Text(chatTemplate) },
    },
    vocabSize: config.vocabSize,
    contextLength: config.contextLength,
    layers: config.layers,
    hidden: config.hidden,
    heads: config.heads,
    kvHeads: config.kvHeads,
    probe: { ...DEFAULT_PROBE },
    tolerance: { ...(options.tolerance ?? IMPORT_TOLERANCE) },
    pow: { ...DEFAULT_POW },
  };
  writeFileAtomic(join(dir, onnxFile), onnx);
  writeFileAtomic(join(dir, TOKENIZER_FILE), tokenizerJson);
  writeFileAtomic(join(dir, CHAT_TEMPLATE_FILE), chatTemplate);
  writeFileAtomic(join(dir, DESCRIPTOR_FILE), serializeDescriptor(descriptor));
  return { dir: resolve(dir), descriptor, onnxBytes: onnx.length, config, tensorTypes };
}

function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
