import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_MODELS, builtinModelConfig, TINY_MODEL_ID } from './decoder.config';
import { encodeDecoder } from './decoder.graph';
import { generateWeights, perturbWeights, quantizeWeightsInt8 } from './decoder.weights';
import { ModelError, ModelErrorCode } from './model.errors';
import { buildModel, sha256Hex } from './model.store';
import { WeightPrng } from './weights.prng';

const tiny = BUILTIN_MODELS[TINY_MODEL_ID]!;

describe('decoder builder', () => {
  it('writes byte-identical files when built twice', () => {
    const a = mkdtempSync(join(tmpdir(), 'aegis-build-a-'));
    const b = mkdtempSync(join(tmpdir(), 'aegis-build-b-'));
    buildModel(TINY_MODEL_ID, a);
    buildModel(TINY_MODEL_ID, b);
    const files = readdirSync(a).sort();
    expect(files).toEqual(['aegis-tiny-v1.onnx', 'model.json']);
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect(sha256Hex(readFileSync(join(a, f)))).toBe(sha256Hex(readFileSync(join(b, f))));
  });

  it('is shaped like the spec: a few MB, vocab >= 256, >= 4 layers and heads', () => {
    const bytes = encodeDecoder(tiny, generateWeights(tiny));
    expect(bytes.length).toBeGreaterThan(1_000_000);
    expect(bytes.length).toBeLessThan(8_000_000);
    expect(tiny.vocabSize).toBeGreaterThanOrEqual(256);
    expect(tiny.layers).toBeGreaterThanOrEqual(4);
    expect(tiny.heads).toBeGreaterThanOrEqual(4);
  });

  it('ships only well-formed configs: heads divide hidden, byte vocab, one seed each', () => {
    const configs = Object.entries(BUILTIN_MODELS);
    for (const [id, c] of configs) {
      expect(c.modelId).toBe(id);
      expect(c.hidden % c.heads).toBe(0);
      expect(c.vocabSize).toBeGreaterThanOrEqual(256);
      expect(c.layers).toBeGreaterThanOrEqual(4);
      expect(c.heads).toBeGreaterThanOrEqual(4);
    }
    expect(new Set(configs.map(([, c]) => c.seed)).size).toBe(configs.length);
  });

  it('derives weights from the seed only: another seed gives other weights', () => {
    const a = generateWeights(tiny);
    const b = generateWeights({ ...tiny, seed: 'other' });
    expect(sha256Hex(encodeDecoder(tiny, a))).not.toBe(sha256Hex(encodeDecoder(tiny, b)));
  });

  it('makes tamper variants that differ from the original but keep the shapes', () => {
    const w = generateWeights(tiny);
    for (const variant of [perturbWeights(w, 's', 0.01), quantizeWeightsInt8(w)]) {
      expect(variant.map((t) => t.dims)).toEqual(w.map((t) => t.dims));
      const changed = variant.filter((t, i) => t.data.some((x, j) => x !== w[i]!.data[j]));
      expect(changed.length).toBeGreaterThan(0);
    }
  });

  it('quantises matrices to at most 255 levels per output channel', () => {
    const w = generateWeights(tiny);
    const q = quantizeWeightsInt8(w).find((t) => t.name === 'h.0.mlp.c_fc.weight')!;
    const [rows, cols] = q.dims as [number, number];
    const column = new Set(Array.from({ length: rows }, (_, r) => q.data[r * cols + 3]));
    expect(column.size).toBeLessThanOrEqual(255);
  });

  it('has a PRNG stream that depends on seed and stream name', () => {
    const draw = (seed: string, stream: string): number[] => {
      const p = new WeightPrng(seed, stream);
      return Array.from({ length: 4 }, () => p.nextUint32());
    };
    expect(draw('a', 'x')).toEqual(draw('a', 'x'));
    expect(draw('a', 'x')).not.toEqual(draw('a', 'y'));
    expect(draw('a', 'x')).not.toEqual(draw('b', 'x'));
  });

  it('rejects an unknown model id with a ModelError naming modelId', () => {
    expect(() => builtinModelConfig('no-such-model')).toThrow(ModelError);
    try {
      buildModel('no-such-model', mkdtempSync(join(tmpdir(), 'aegis-build-x-')));
    } catch (e) {
      expect(e).toMatchObject({ code: ModelErrorCode.UnknownModel, field: 'modelId' });
      return;
    }
    throw new Error('expected an error');
  });
});
