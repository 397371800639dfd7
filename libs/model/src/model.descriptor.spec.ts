import { mkdtempSync, readFileSync, writeFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DESCRIPTOR_FILE, type ModelDescriptor, parseDescriptor, parseDescriptorText } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { ModelRuntime } from './model.runtime';
import { type LoadedModelFiles, readModelDir, writeDescriptor } from './model.store';
import { buildTinyModelForTest } from './model.testing';

function errorOf(f: () => unknown): ModelError {
  try {
    f();
  } catch (e) {
    if (e instanceof ModelError) return e;
    throw e;
  }
  throw new Error('expected a ModelError');
}

async function asyncErrorOf(f: () => Promise<unknown>): Promise<ModelError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof ModelError) return e;
    throw e;
  }
  throw new Error('expected a ModelError');
}

let files: LoadedModelFiles;
beforeAll(() => {
  files = buildTinyModelForTest();
});

/** A copy of the built model folder whose descriptor `edit` changes. */
function copyWith(edit: (d: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'aegis-desc-'));
  cpSync(files.dir, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, DESCRIPTOR_FILE), 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(join(dir, DESCRIPTOR_FILE), JSON.stringify(json));
  return dir;
}

describe('model descriptor', () => {
  it('round-trips the built descriptor', () => {
    expect(parseDescriptor(JSON.parse(JSON.stringify(files.descriptor)))).toEqual(files.descriptor);
  });

  it('names the field for malformed JSON, missing fields and wrong types', () => {
    expect(errorOf(() => parseDescriptorText('{ not json'))).toMatchObject({ code: ModelErrorCode.InvalidDescriptor, field: 'descriptor' });
    const without = { ...files.descriptor } as Partial<ModelDescriptor>;
    delete without.hidden;
    expect(errorOf(() => parseDescriptor(without)).field).toBe('hidden');
    expect(errorOf(() => parseDescriptor({ ...files.descriptor, layers: '4' })).field).toBe('layers');
    expect(errorOf(() => parseDescriptor({ ...files.descriptor, tolerance: { ...files.descriptor.tolerance, tol: 1.5 } })).field).toBe(
      'tolerance.tol',
    );
    expect(errorOf(() => parseDescriptor({ ...files.descriptor, tokenizer: { kind: 'sentencepiece', bos: 256, eos: 257 } })).field).toBe(
      'tokenizer.kind',
    );
    expect(errorOf(() => parseDescriptor({ ...files.descriptor, tokenizer: { kind: 'bpe', bos: 1, eos: 2 } })).field).toBe(
      'tokenizer.vocabulary',
    );
    expect(errorOf(() => parseDescriptor({ ...files.descriptor, heads: 4, kvHeads: 3 })).field).toBe('kvHeads');
    expect(errorOf(() => parseDescriptor({ ...files.descriptor, file: '../escape.onnx' })).field).toBe('file');
    expect(errorOf(() => parseDescriptor({ ...files.descriptor, heads: 3 })).field).toBe('heads');
  });

  it('property: replacing any numeric field by a non-integer or a negative names that field', () => {
    const numeric: [string, string][] = [
      ['vocabSize', 'vocabSize'],
      ['contextLength', 'contextLength'],
      ['layers', 'layers'],
      ['hidden', 'hidden'],
      ['probe.count', 'probe.count'],
      ['pow.positions', 'pow.positions'],
      ['tolerance.missBudget', 'tolerance.missBudget'],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...numeric),
        fc.oneof(fc.constant(-1), fc.constant(0.5), fc.string(), fc.constant(null)),
        ([path, field], bad) => {
          const d = JSON.parse(JSON.stringify(files.descriptor)) as Record<string, Record<string, unknown> | unknown>;
          const [a, b] = path.split('.') as [string, string | undefined];
          if (b === undefined) d[a] = bad;
          else (d[a] as Record<string, unknown>)[b] = bad;
          expect(errorOf(() => parseDescriptor(d)).field).toBe(field);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects an ONNX file whose sha256 differs from the descriptor', () => {
    const dir = copyWith(() => undefined);
    const onnx = readdirSync(dir).find((f) => f.endsWith('.onnx'))!;
    const bytes = readFileSync(join(dir, onnx));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
    writeFileSync(join(dir, onnx), bytes);
    expect(errorOf(() => readModelDir(dir))).toMatchObject({ code: ModelErrorCode.ModelFileMismatch, field: 'sha256' });
  });

  it('rejects a descriptor whose dimensions do not match the graph, naming the dimension', async () => {
    const load = (d: ModelDescriptor): Promise<ModelRuntime> => ModelRuntime.fromBytes(d, files.onnx);
    expect(await asyncErrorOf(() => load({ ...files.descriptor, layers: 3 }))).toMatchObject({
      code: ModelErrorCode.ModelFileMismatch,
      field: 'layers',
    });
    expect(await asyncErrorOf(() => load({ ...files.descriptor, hidden: 256, heads: 8 }))).toMatchObject({
      code: ModelErrorCode.ModelFileMismatch,
    });
    expect(await asyncErrorOf(() => load({ ...files.descriptor, vocabSize: 300 }))).toMatchObject({
      code: ModelErrorCode.ModelFileMismatch,
      field: 'vocabSize',
    });
    expect(await asyncErrorOf(() => load({ ...files.descriptor, heads: 8 }))).toMatchObject({
      code: ModelErrorCode.ModelFileMismatch,
      field: 'heads',
    });
  });

  it('rejects a file that is not an ONNX model', async () => {
    const err = await asyncErrorOf(() => ModelRuntime.fromBytes(files.descriptor, new Uint8Array([8, 1, 2, 3, 4, 5])));
    expect(err.code).toBe(ModelErrorCode.MalformedModel);
  });

  it('rewrites the descriptor atomically and keeps it loadable', () => {
    const dir = copyWith(() => undefined);
    writeDescriptor(dir, { ...files.descriptor, tolerance: { ...files.descriptor.tolerance, tol: 99 } });
    expect(readModelDir(dir).descriptor.tolerance.tol).toBe(99);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
