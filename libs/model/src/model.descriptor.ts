import { MODEL_ID_PATTERN } from '@aegis/protocol';
import { ModelError, ModelErrorCode } from './model.errors';

export const DESCRIPTOR_FILE = 'model.json';

/** Verification tolerances, calibrated from honest runs (aegis model calibrate). */
export interface ToleranceConfig {
  /** Token check slack in probability units: lo - eps <= U_t < hi + eps. */
  eps: number;
  /** Greedy (temperature 0) slack in logit units: the claimed token's logit >= max logit - epsLogit. */
  epsLogit: number;
  /** Probe check slack in quantised units: |q - q'| <= tol. */
  tol: number;
  /** Failed checks (token or probe) a submission may have and still be accepted. */
  missBudget: number;
}

/** A file of the model folder pinned by its sha256, so every node and verifier reads the same bytes. */
export interface PinnedFile {
  file: string;
  sha256: string;
}

/**
 * How text becomes token ids. `byte`: UTF-8 bytes are 0-255, then BOS and EOS (the built-in
 * models). `bpe`: a byte-level BPE tokenizer in a Hugging Face tokenizer.json and a Jinja chat
 * template, both files of the model folder pinned by sha256; `eos` is the end-of-turn token that
 * ends generation.
 */
export type TokenizerDescriptor =
  { kind: 'byte'; bos: number; eos: number } | { kind: 'bpe'; bos: number; eos: number; vocabulary: PinnedFile; chatTemplate: PinnedFile };

/** model.json: everything a node needs to run, verify and audit a model besides the ONNX file. */
export interface ModelDescriptor {
  modelId: string;
  /** ONNX file, relative to the descriptor's folder. */
  file: string;
  /** Lowercase hex sha256 of the ONNX file. */
  sha256: string;
  tokenizer: TokenizerDescriptor;
  vocabSize: number;
  contextLength: number;
  layers: number;
  hidden: number;
  heads: number;
  /** Key/value heads (grouped-query attention); absent: one per query head. */
  kvHeads?: number;
  probe: { count: number; q: number };
  tolerance: ToleranceConfig;
  pow: { positions: number; difficultyBits: number };
}

const invalid = (field: string, message: string): ModelError => new ModelError(ModelErrorCode.InvalidDescriptor, field, message);

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be an object');
  return value as Record<string, unknown>;
}

function int(obj: Record<string, unknown>, key: string, field: string, min: number, max: number): number {
  const v = obj[key];
  if (v === undefined) throw invalid(field, 'is missing');
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(field, `must be an integer, got ${JSON.stringify(v)}`);
  if (v < min || v > max) throw invalid(field, `must be in [${min}, ${max}], got ${v}`);
  return v;
}

function num(obj: Record<string, unknown>, key: string, field: string, min: number, max: number): number {
  const v = obj[key];
  if (v === undefined) throw invalid(field, 'is missing');
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(field, `must be a finite number, got ${JSON.stringify(v)}`);
  if (v < min || v > max) throw invalid(field, `must be in [${min}, ${max}], got ${v}`);
  return v;
}

function str(obj: Record<string, unknown>, key: string, field: string, pattern: RegExp, what: string): string {
  const v = obj[key];
  if (v === undefined) throw invalid(field, 'is missing');
  if (typeof v !== 'string') throw invalid(field, `must be a string, got ${JSON.stringify(v)}`);
  if (!pattern.test(v)) throw invalid(field, `must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

/** A relative file name inside the model folder: no separators, no parent references. */
const FILE_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._-]{1,128}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Parses and validates a descriptor (already JSON-decoded). Every failure is a ModelError whose
 * field is the dotted path of the first bad entry. Consistency with the ONNX graph itself is
 * checked when the runtime opens the file.
 */
export function parseDescriptor(json: unknown): ModelDescriptor {
  const d = record(json, 'descriptor');
  const modelId = str(d, 'modelId', 'modelId', MODEL_ID_PATTERN, `an id matching ${MODEL_ID_PATTERN.source}`);
  const file = str(d, 'file', 'file', FILE_PATTERN, 'a plain file name inside the model folder');
  const sha256 = str(d, 'sha256', 'sha256', SHA256_PATTERN, '64 lowercase hex characters');

  const vocabSize = int(d, 'vocabSize', 'vocabSize', 2, 1 << 24);
  const tokenizer = parseTokenizer(record(d['tokenizer'], 'tokenizer'), vocabSize);

  const contextLength = int(d, 'contextLength', 'contextLength', 2, 1 << 20);
  const layers = int(d, 'layers', 'layers', 1, 0xffff);
  const hidden = int(d, 'hidden', 'hidden', 1, 1 << 16);
  const heads = int(d, 'heads', 'heads', 1, hidden);
  if (hidden % heads !== 0) throw invalid('heads', `must divide hidden (${hidden})`);
  const kvHeads = d['kvHeads'] === undefined ? undefined : int(d, 'kvHeads', 'kvHeads', 1, heads);
  if (kvHeads !== undefined && heads % kvHeads !== 0) throw invalid('kvHeads', `must divide heads (${heads})`);

  const probe = record(d['probe'], 'probe');
  const count = int(probe, 'count', 'probe.count', 1, 4096);
  const q = int(probe, 'q', 'probe.q', 0, 30);

  const t = record(d['tolerance'], 'tolerance');
  const tolerance: ToleranceConfig = {
    eps: num(t, 'eps', 'tolerance.eps', 0, 0.5),
    epsLogit: num(t, 'epsLogit', 'tolerance.epsLogit', 0, 1e3),
    tol: int(t, 'tol', 'tolerance.tol', 0, 0x7fff_ffff),
    missBudget: int(t, 'missBudget', 'tolerance.missBudget', 0, 1 << 20),
  };

  const pow = record(d['pow'], 'pow');
  const powPositions = int(pow, 'positions', 'pow.positions', 1, 4096);
  const difficultyBits = int(pow, 'difficultyBits', 'pow.difficultyBits', 0, 64);

  return {
    modelId,
    file,
    sha256,
    tokenizer,
    vocabSize,
    contextLength,
    layers,
    hidden,
    heads,
    ...(kvHeads !== undefined ? { kvHeads } : {}),
    probe: { count, q },
    tolerance,
    pow: { positions: powPositions, difficultyBits },
  };
}

function parseTokenizer(tok: Record<string, unknown>, vocabSize: number): TokenizerDescriptor {
  const kind = tok['kind'];
  if (kind === 'byte') {
    const bos = int(tok, 'bos', 'tokenizer.bos', 256, vocabSize - 1);
    const eos = int(tok, 'eos', 'tokenizer.eos', 256, vocabSize - 1);
    if (bos === eos) throw invalid('tokenizer.eos', 'must differ from tokenizer.bos');
    return { kind, bos, eos };
  }
  if (kind === 'bpe') {
    const bos = int(tok, 'bos', 'tokenizer.bos', 0, vocabSize - 1);
    const eos = int(tok, 'eos', 'tokenizer.eos', 0, vocabSize - 1);
    return {
      kind,
      bos,
      eos,
      vocabulary: pinned(tok, 'vocabulary', 'tokenizer.vocabulary'),
      chatTemplate: pinned(tok, 'chatTemplate', 'tokenizer.chatTemplate'),
    };
  }
  throw invalid('tokenizer.kind', `must be "byte" or "bpe", got ${JSON.stringify(kind)}`);
}

function pinned(obj: Record<string, unknown>, key: string, field: string): PinnedFile {
  const p = record(obj[key], field);
  return {
    file: str(p, 'file', `${field}.file`, FILE_PATTERN, 'a plain file name inside the model folder'),
    sha256: str(p, 'sha256', `${field}.sha256`, SHA256_PATTERN, '64 lowercase hex characters'),
  };
}

/** The key/value heads of a descriptor's graph (its KV cache's head axis). */
export function kvHeadsOf(d: Pick<ModelDescriptor, 'heads' | 'kvHeads'>): number {
  return d.kvHeads ?? d.heads;
}

/** JSON text of a descriptor: keys in a fixed order, two-space indent, trailing newline. */
export function serializeDescriptor(d: ModelDescriptor): string {
  return `${JSON.stringify(parseDescriptor(d), null, 2)}\n`;
}

export function parseDescriptorText(text: string): ModelDescriptor {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid('descriptor', `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseDescriptor(json);
}
