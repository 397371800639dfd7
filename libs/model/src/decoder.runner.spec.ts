import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError, ModelErrorCode } from './model.errors';
import { ModelRuntime } from './model.runtime';
import { type LoadedModelFiles } from './model.store';
import { buildTinyModelForTest } from './model.testing';

let files: LoadedModelFiles;
let rt: ModelRuntime;
beforeAll(async () => {
  files = buildTinyModelForTest();
  rt = await ModelRuntime.open(files.dir, { intraOpThreads: 1 });
});
afterAll(async () => {
  await rt.release();
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const seq = [256, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100];

describe('decoder runner', () => {
  it('reports the execution provider it used (cpu here)', () => {
    expect(rt.runner.provider).toBe('cpu');
    expect(rt.runner.dims).toMatchObject({ layers: 4, kvHeads: 4, hidden: 128, vocab: 258 });
  });

  it('gives a next-token distribution with real spread', async () => {
    const out = await rt.runner.prefill([seq], false);
    const last = out.logits.subarray((seq.length - 1) * 258, seq.length * 258);
    const max = Math.max(...last);
    const z = Array.from(last).reduce((s, x) => s + Math.exp(x - max), 0);
    const top = 1 / z; // probability of the argmax
    expect(top).toBeGreaterThan(0.02); // far from uniform (1/258)
    expect(top).toBeLessThan(0.9); // not one-hot
  });

  it('prefill and incremental KV-cache decode agree within float tolerance', async () => {
    const full = await rt.runner.prefill([seq], true);
    let out = await rt.runner.prefill([seq.slice(0, 4)], true);
    for (let i = 4; i < seq.length; i++) {
      out = await rt.runner.forward(out.cache, [[seq[i]!]], true);
      const fullRow = full.logits.subarray(i * 258, (i + 1) * 258);
      expect(maxAbsDiff(out.logits, fullRow)).toBeLessThan(1e-4);
      for (let l = 0; l < 4; l++) {
        expect(maxAbsDiff(out.hidden![l]!, full.hidden![l]!.subarray(i * 128, (i + 1) * 128))).toBeLessThan(1e-4);
      }
    }
    expect(out.cache.length).toBe(seq.length);
  });

  it('fetches only the hidden layers asked for, the same values as fetching all', async () => {
    const all = await rt.runner.prefill([seq], true);
    const some = await rt.runner.prefill([seq], new Set([3, 1]));
    expect(Object.keys(some.hidden!).map(Number)).toEqual([1, 3]);
    for (const l of [1, 3]) expect(Array.from(some.hidden![l]!)).toEqual(Array.from(all.hidden![l]!));
    expect(Array.from(some.logits)).toEqual(Array.from(all.logits));
    expect((await rt.runner.prefill([seq], new Set<number>())).hidden).toBeNull();
    const bad = await rt.runner.prefill([seq], new Set([4])).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ModelError);
    expect((bad as ModelError).field).toBe('hidden');
  });

  it('left-padded batches compute each row as if it ran alone', async () => {
    const other = [256, 1, 2, 3];
    const alone = await rt.runner.prefill([other], true);
    const batched = await rt.runner.prefill([seq, other, seq.slice(0, 7)], true);
    const width = seq.length;
    const pad = width - other.length;
    const row = batched.logits.subarray((width + pad) * 258, 2 * width * 258);
    expect(maxAbsDiff(row, alone.logits)).toBeLessThan(1e-4);
    // Decode one more token for the whole batch: the padded row still matches.
    const next1 = await rt.runner.forward(alone.cache, [[65]], false);
    const nextB = await rt.runner.forward(batched.cache, [[65], [65], [65]], false);
    expect(maxAbsDiff(nextB.logits.subarray(258, 516), next1.logits)).toBeLessThan(1e-4);
  });

  it('refuses inputs past the context length', async () => {
    const long = new Array<number>(rt.runner.dims.context + 1).fill(65);
    await expect(rt.runner.prefill([long], false)).rejects.toMatchObject({ code: ModelErrorCode.InvalidTask });
  });

  it('refuses bad options with the option named', async () => {
    await expect(ModelRuntime.fromBytes(files.descriptor, files.onnx, { intraOpThreads: 0 })).rejects.toMatchObject({
      field: 'intraOpThreads',
    });
    await expect(ModelRuntime.fromBytes(files.descriptor, files.onnx, { executionProvider: 'tpu' as 'cpu' })).rejects.toMatchObject({
      field: 'executionProvider',
    });
  });

  it('falls back to CPU under auto, and fails clearly when CUDA is demanded but missing', async () => {
    const auto = await ModelRuntime.fromBytes(files.descriptor, files.onnx, { executionProvider: 'auto' });
    expect(['cpu', 'cuda']).toContain(auto.runner.provider);
    const cudaPresent = auto.runner.provider === 'cuda';
    await auto.release();
    if (cudaPresent) return; // nothing to assert about a missing CUDA on a GPU machine
    const err = await ModelRuntime.fromBytes(files.descriptor, files.onnx, { executionProvider: 'cuda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ code: ModelErrorCode.ExecutionProvider, field: 'executionProvider' });
  });
});
