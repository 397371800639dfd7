import { ByteWriter, isU64, isUint, utf8 } from './bytes';
import { keccak256 } from './hash';
import { invalidField, ProtocolErrorCode } from './protocol.errors';

/** Domain tag that starts every task encoding; bump the version for any layout change. */
export const TASK_DOMAIN = 'aegis/task/v1';
/** Upper bound for temperatureMilli: 10.0. Higher values only flatten the distribution further. */
export const MAX_TEMPERATURE_MILLI = 10_000;
export const MODEL_ID_PATTERN = /^[a-z0-9._-]{1,64}$/;

export interface TaskSpec {
  modelId: string;
  promptTokens: readonly number[];
  maxNewTokens: number;
  topK: number;
  /** Temperature x 1000 as an integer, so the task hash never depends on float formatting. 0 = greedy. */
  temperatureMilli: number;
  stopTokens: readonly number[];
  /** Client-chosen u64 so that two identical requests are distinct tasks with distinct hashes. */
  nonce: bigint;
}

/** What the serving model allows; comes from the model descriptor, not from the client. */
export interface TaskLimits {
  vocabSize: number;
  contextLength: number;
  maxNewTokensCap: number;
  maxPromptTokens?: number;
}

/**
 * Checks a client task against the model's limits. Throws ProtocolError naming the first bad
 * field. Everything encodeTask needs is checked here too, so a validated spec always encodes.
 */
export function validateTaskSpec(spec: TaskSpec, limits: TaskLimits): void {
  const { vocabSize, contextLength, maxNewTokensCap, maxPromptTokens } = limits;
  if (!isUint(vocabSize, 0xffff_ffff) || vocabSize < 1) throw invalidField('limits.vocabSize', 'must be a positive integer');
  if (!isUint(contextLength, 0xffff_ffff) || contextLength < 2) throw invalidField('limits.contextLength', 'must be an integer >= 2');
  if (!isUint(maxNewTokensCap, 0xffff_ffff) || maxNewTokensCap < 1)
    throw invalidField('limits.maxNewTokensCap', 'must be a positive integer');

  if (typeof spec.modelId !== 'string' || !MODEL_ID_PATTERN.test(spec.modelId)) {
    throw invalidField('modelId', `must match ${MODEL_ID_PATTERN.source}`);
  }

  const prompt = spec.promptTokens;
  if (!Array.isArray(prompt) || prompt.length === 0) throw invalidField('promptTokens', 'must be a non-empty array');
  const promptCap = maxPromptTokens ?? contextLength - 1;
  if (prompt.length > promptCap) {
    throw invalidField('promptTokens', `has ${prompt.length} tokens, at most ${promptCap} allowed`, ProtocolErrorCode.OUT_OF_RANGE);
  }
  checkTokenIds('promptTokens', prompt, vocabSize);

  if (!isUint(spec.maxNewTokens, maxNewTokensCap) || spec.maxNewTokens < 1) {
    throw invalidField('maxNewTokens', `must be an integer in [1, ${maxNewTokensCap}]`, ProtocolErrorCode.OUT_OF_RANGE);
  }
  if (prompt.length + spec.maxNewTokens > contextLength) {
    throw invalidField(
      'maxNewTokens',
      `prompt (${prompt.length}) + maxNewTokens (${spec.maxNewTokens}) exceeds the context length ${contextLength}`,
      ProtocolErrorCode.OUT_OF_RANGE,
    );
  }
  if (!isUint(spec.topK, vocabSize) || spec.topK < 1) {
    throw invalidField('topK', `must be an integer in [1, ${vocabSize}]`, ProtocolErrorCode.OUT_OF_RANGE);
  }
  if (!isUint(spec.temperatureMilli, MAX_TEMPERATURE_MILLI)) {
    throw invalidField('temperatureMilli', `must be an integer in [0, ${MAX_TEMPERATURE_MILLI}]`, ProtocolErrorCode.OUT_OF_RANGE);
  }

  const stops = spec.stopTokens;
  if (!Array.isArray(stops)) throw invalidField('stopTokens', 'must be an array');
  checkTokenIds('stopTokens', stops, vocabSize);
  // The hash covers the list as given; a repeated id would give one meaning two hashes.
  if (new Set(stops).size !== stops.length) throw invalidField('stopTokens', 'must not repeat a token id');

  if (!isU64(spec.nonce)) throw invalidField('nonce', 'must be a bigint in [0, 2^64)', ProtocolErrorCode.OUT_OF_RANGE);
}

function checkTokenIds(field: string, ids: readonly number[], vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!isUint(id, vocabSize - 1)) {
      throw invalidField(
        field,
        `token at index ${i} (${String(id)}) is not an integer in [0, ${vocabSize})`,
        ProtocolErrorCode.OUT_OF_RANGE,
      );
    }
  }
}

/**
 * Canonical task bytes (docs/protocol.md, "Task"): domain tag, then every field big-endian with
 * explicit lengths, so the encoding is injective and any implementation can reproduce it.
 * Only checks encodability (ranges of the wire types); use validateTaskSpec for model limits.
 */
export function encodeTask(spec: TaskSpec): Uint8Array {
  return new ByteWriter()
    .bytes(utf8(TASK_DOMAIN))
    .string16(spec.modelId, 'modelId')
    .u32List(spec.promptTokens, 'promptTokens')
    .u32(spec.maxNewTokens, 'maxNewTokens')
    .u32(spec.topK, 'topK')
    .u32(spec.temperatureMilli, 'temperatureMilli')
    .u32List(spec.stopTokens, 'stopTokens')
    .u64(spec.nonce, 'nonce')
    .finish();
}

/** keccak256(encodeTask(spec)): the task's identity everywhere (seed, result, topics). */
export function taskHash(spec: TaskSpec): Uint8Array {
  return keccak256(encodeTask(spec));
}
