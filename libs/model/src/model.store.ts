import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BYTE_BOS, BYTE_EOS, builtinModelConfig, type DecoderConfig } from './decoder.config';
import { encodeDecoder } from './decoder.graph';
import { generateWeights } from './decoder.weights';
import { DESCRIPTOR_FILE, type ModelDescriptor, parseDescriptorText, serializeDescriptor, type ToleranceConfig } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';

/** Where models built at run time live, relative to the workspace (git-ignored). */
export const MODELS_DIR = join('.cache', 'models');

/**
 * Tolerances shipped with the built-in models: `aegis model calibrate --tasks 200` (margin 10)
 * measured the largest honest deviations across thread counts, batch compositions and fresh
 * sessions as token 7.9e-6, logit 1.04e-5, probe 0.69 units (docs/asli.md); these are 10x that,
 * rounded up. eps is not free: an altered last token whose interval lies within eps of U_t is
 * indistinguishable from float noise, so a wider eps lets more of them through (eps 2e-4 let 1
 * in 10,000 altered-token tries pass). Fixed here (not measured at build time) so that
 * `aegis model build` stays byte-reproducible; calibrate rewrites them for a given deployment
 * (a CUDA fleet verified on CPUs needs its own figures).
 */
export const DEFAULT_TOLERANCE: ToleranceConfig = { eps: 8e-5, epsLogit: 1.1e-4, tol: 8, missBudget: 0 };
export const DEFAULT_PROBE = { count: 32, q: 16 } as const;
export const DEFAULT_POW = { positions: 16, difficultyBits: 10 } as const;

/**
 * PoW difficulty of the built-in models, from `npx aegis bench asli --json --reps 11`: a try (a
 * walk of 16 reads) costs ~25-40 us here, so 2^bits tries stay under 10% of a verification
 * (tiny ~19 ms, small ~26 ms, base ~152 ms) and above the 1/(6 L) that makes skipping part of
 * the last block cost more grinding than it saves (docs/protocol.md, "What a proof costs").
 */
export const BUILTIN_POW_BITS: Readonly<Record<string, number>> = { 'aegis-tiny-v1': 5, 'aegis-small-v1': 5, 'aegis-base-v1': 8 };

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function defaultModelDir(modelId: string, root = MODELS_DIR): string {
  return resolve(root, modelId);
}

/** The descriptor of a freshly built model; tolerances as shipped until calibrated. */
export function descriptorFor(config: DecoderConfig, file: string, onnx: Uint8Array): ModelDescriptor {
  return {
    modelId: config.modelId,
    file,
    sha256: sha256Hex(onnx),
    tokenizer: { kind: 'byte', bos: BYTE_BOS, eos: BYTE_EOS },
    vocabSize: config.vocabSize,
    contextLength: config.contextLength,
    layers: config.layers,
    hidden: config.hidden,
    heads: config.heads,
    probe: { ...DEFAULT_PROBE },
    tolerance: { ...DEFAULT_TOLERANCE },
    pow: { positions: DEFAULT_POW.positions, difficultyBits: BUILTIN_POW_BITS[config.modelId] ?? DEFAULT_POW.difficultyBits },
  };
}

/** Writes via a temp file in the same folder and a rename, so readers never see half a file. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface BuiltModel {
  dir: string;
  descriptor: ModelDescriptor;
  onnxPath: string;
  bytes: number;
}

/**
 * Builds a built-in model into `dir`: the ONNX file first, then model.json (whose sha256 pins
 * it), each written atomically, so an interrupted build leaves no descriptor pointing at a
 * partial file. Same id, same bytes, on every machine.
 */
export function buildModel(modelId: string, dir: string): BuiltModel {
  const config = builtinModelConfig(modelId);
  const onnx = encodeDecoder(config, generateWeights(config));
  const file = `${config.modelId}.onnx`;
  const descriptor = descriptorFor(config, file, onnx);
  const onnxPath = join(dir, file);
  writeFileAtomic(onnxPath, onnx);
  writeFileAtomic(join(dir, DESCRIPTOR_FILE), serializeDescriptor(descriptor));
  return { dir: resolve(dir), descriptor, onnxPath, bytes: onnx.length };
}

export interface LoadedModelFiles {
  dir: string;
  descriptor: ModelDescriptor;
  onnx: Uint8Array;
}

/** Reads model.json and the ONNX file it names, checking the file's sha256. */
export function readModelDir(dir: string): LoadedModelFiles {
  const descriptorPath = join(dir, DESCRIPTOR_FILE);
  let text: string;
  try {
    text = readFileSync(descriptorPath, 'utf8');
  } catch (e) {
    throw new ModelError(
      ModelErrorCode.InvalidDescriptor,
      'descriptor',
      `cannot read ${descriptorPath} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  const descriptor = parseDescriptorText(text);
  const onnxPath = join(dir, descriptor.file);
  let onnx: Uint8Array;
  try {
    onnx = readFileSync(onnxPath);
  } catch (e) {
    throw new ModelError(
      ModelErrorCode.ModelFileMismatch,
      'file',
      `cannot read ${onnxPath} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  const actual = sha256Hex(onnx);
  if (actual !== descriptor.sha256) {
    throw new ModelError(
      ModelErrorCode.ModelFileMismatch,
      'sha256',
      `descriptor says ${descriptor.sha256} but ${descriptor.file} hashes to ${actual}`,
    );
  }
  return { dir: resolve(dir), descriptor, onnx };
}

/** Rewrites model.json (e.g. after calibration), atomically. */
export function writeDescriptor(dir: string, descriptor: ModelDescriptor): void {
  writeFileAtomic(join(dir, DESCRIPTOR_FILE), serializeDescriptor(descriptor));
}

/** The model folder for `modelId` under `root`, building the built-in model when it is missing. */
export function ensureBuiltModel(modelId: string, root = MODELS_DIR): LoadedModelFiles {
  const dir = defaultModelDir(modelId, root);
  builtinModelConfig(modelId); // unknown ids fail here, before touching the disk
  // Only a missing model is built; a present but broken one is an error to look at, not overwrite.
  if (!existsSync(join(dir, DESCRIPTOR_FILE))) buildModel(modelId, dir);
  return readModelDir(dir);
}
