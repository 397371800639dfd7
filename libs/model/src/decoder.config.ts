import { ModelError, ModelErrorCode } from './model.errors';

/** Architecture of the built-in GPT-style decoder. */
export interface DecoderConfig {
  readonly modelId: string;
  /** Seeds every weight; two builds with the same config are byte-identical. */
  readonly seed: string;
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly mlpHidden: number;
}

/** Byte-level tokenizer ids: 0-255 are bytes, then BOS and EOS. */
export const BYTE_BOS = 256;
export const BYTE_EOS = 257;
export const BYTE_VOCAB = 258;

export const TINY_MODEL_ID = 'aegis-tiny-v1';
/** Larger sibling for benchmarks, where per-token model time should dominate as it does for real LLMs. */
export const SMALL_MODEL_ID = 'aegis-small-v1';
/** The largest built-in model: ASLI's per-token cost against a decode step closer to a real model's. */
export const BASE_MODEL_ID = 'aegis-base-v1';

/** The models this project can build from code, by id. Real models are mounted, not built. */
export const BUILTIN_MODELS: Readonly<Record<string, DecoderConfig>> = {
  [TINY_MODEL_ID]: {
    modelId: TINY_MODEL_ID,
    seed: 'aegis-tiny-v1',
    vocabSize: BYTE_VOCAB,
    contextLength: 256,
    layers: 4,
    hidden: 128,
    heads: 4,
    mlpHidden: 512,
  },
  [SMALL_MODEL_ID]: {
    modelId: SMALL_MODEL_ID,
    seed: 'aegis-small-v1',
    vocabSize: BYTE_VOCAB,
    contextLength: 512,
    layers: 6,
    hidden: 256,
    heads: 8,
    mlpHidden: 1024,
  },
  [BASE_MODEL_ID]: {
    modelId: BASE_MODEL_ID,
    seed: 'aegis-base-v1',
    vocabSize: BYTE_VOCAB,
    contextLength: 512,
    layers: 8,
    hidden: 512,
    heads: 8,
    mlpHidden: 2048,
  },
};

export function builtinModelConfig(modelId: string): DecoderConfig {
  const config = Object.prototype.hasOwnProperty.call(BUILTIN_MODELS, modelId) ? BUILTIN_MODELS[modelId] : undefined;
  if (config === undefined) {
    throw new ModelError(
      ModelErrorCode.UnknownModel,
      'modelId',
      `unknown model id ${JSON.stringify(modelId)} (built-in: ${Object.keys(BUILTIN_MODELS).join(', ')})`,
    );
  }
  return config;
}

export function headDim(config: Pick<DecoderConfig, 'hidden' | 'heads'>): number {
  return config.hidden / config.heads;
}
