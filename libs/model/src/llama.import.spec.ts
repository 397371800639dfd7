import { mkdtempSync, readFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GGMLQuantizationType } from '@huggingface/gguf';
import { describe, expect, it } from 'vitest';
import { GgufFile } from './gguf.file';
import { dequantize, halfToFloat } from './gguf.tensors';
import { importGguf } from './llama.import';
import { writeLlamaFixture, type FixtureSpec } from './llama.fixture';
import { ModelError } from './model.errors';
import { ModelRuntime } from './model.runtime';
import { sha256Hex } from './model.store';

const SPEC: FixtureSpec = {
  layers: 2,
  hidden: 64,
  heads: 4,
  kvHeads: 2,
  ffn: 96,
  matrixType: GGMLQuantizationType.Q4_1,
  seed: 'llama-import-spec',
};
const tmp = (): string => mkdtempSync(join(tmpdir(), 'aegis-llama-'));

/**
 * An independent float64 forward pass of a Llama decoder straight from the GGUF's dequantised
 * tensors, written from the architecture's definition (adjacent-pair RoPE on llama.cpp's row
 * order, query head h reads KV head floor(h / group), tied head), not from the graph builder.
 */
async function referenceLogits(path: string, tokens: number[]): Promise<Float64Array[]> {
  const f = await GgufFile.open(path);
  const h = f.uint('llama.embedding_length');
  const nh = f.uint('llama.attention.head_count');
  const nkv = f.uint('llama.attention.head_count_kv');
  const ffn = f.uint('llama.feed_forward_length');
  const layers = f.uint('llama.block_count');
  const eps = f.float('llama.attention.layer_norm_rms_epsilon');
  const base = f.float('llama.rope.freq_base');
  const vocab = f.strings('tokenizer.ggml.tokens').length;
  const hd = h / nh;
  const t = (name: string, shape: number[]): Float32Array => f.floats(name, shape);
  const matvec = (w: Float32Array, rows: number, cols: number, x: Float64Array): Float64Array => {
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += (w[r * cols + c] as number) * (x[c] as number);
      y[r] = s;
    }
    return y;
  };
  const rms = (x: Float64Array, w: Float32Array): Float64Array => {
    const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
    return x.map((v, i) => (v / Math.sqrt(ms + eps)) * (w[i] as number));
  };
  const rope = (x: Float64Array, heads: number, pos: number): Float64Array => {
    const out = new Float64Array(x.length);
    for (let head = 0; head < heads; head++) {
      for (let i = 0; i < hd / 2; i++) {
        const angle = pos * base ** (-(2 * i) / hd);
        const a = x[head * hd + 2 * i] as number;
        const b = x[head * hd + 2 * i + 1] as number;
        out[head * hd + 2 * i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[head * hd + 2 * i + 1] = a * Math.sin(angle) + b * Math.cos(angle);
      }
    }
    return out;
  };
  const emb = t('token_embd.weight', [h, vocab]);
  const xs = tokens.map((tok) => Float64Array.from(emb.subarray(tok * h, (tok + 1) * h)));
  for (let l = 0; l < layers; l++) {
    const p = `blk.${l}`;
    const [wq, wk, wv, wo] = [
      t(`${p}.attn_q.weight`, [h, h]),
      t(`${p}.attn_k.weight`, [h, nkv * hd]),
      t(`${p}.attn_v.weight`, [h, nkv * hd]),
      t(`${p}.attn_output.weight`, [h, h]),
    ];
    const an = t(`${p}.attn_norm.weight`, [h]);
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    xs.forEach((x, pos) => {
      const a = rms(x, an);
      qs.push(rope(matvec(wq, h, h, a), nh, pos));
      ks.push(rope(matvec(wk, nkv * hd, h, a), nkv, pos));
      vs.push(matvec(wv, nkv * hd, h, a));
    });
    xs.forEach((x, pos) => {
      const ctx = new Float64Array(h);
      for (let head = 0; head < nh; head++) {
        const kvh = Math.floor(head / (nh / nkv));
        const scores = ks.slice(0, pos + 1).map((k) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += (qs[pos]?.[head * hd + d] as number) * (k[kvh * hd + d] as number);
          return s / Math.sqrt(hd);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((w, j) => {
          for (let d = 0; d < hd; d++) ctx[head * hd + d] = (ctx[head * hd + d] as number) + (w / z) * (vs[j]?.[kvh * hd + d] as number);
        });
      }
      const o = matvec(wo, h, h, ctx);
      for (let i = 0; i < h; i++) x[i] = (x[i] as number) + (o[i] as number);
      const m = rms(x, t(`${p}.ffn_norm.weight`, [h]));
      const gate = matvec(t(`${p}.ffn_gate.weight`, [h, ffn]), ffn, h, m);
      const up = matvec(t(`${p}.ffn_up.weight`, [h, ffn]), ffn, h, m);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * (up[i] as number));
      const down = matvec(t(`${p}.ffn_down.weight`, [ffn, h]), h, ffn, act);
      for (let i = 0; i < h; i++) x[i] = (x[i] as number) + (down[i] as number);
    });
  }
  const norm = t('output_norm.weight', [h]);
  return xs.map((x) => matvec(emb, vocab, h, rms(x, norm)));
}

describe('GGUF tensors', () => {
  it('decodes binary16 exactly', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
  });

  it('dequantises Q4_0, Q4_1 and Q8_0 blocks as ggml defines them (worked by hand)', () => {
    // d = 0.5 (0x3800), m = -1 (0xbc00); byte j holds element j (low nibble) and j + 16 (high).
    const q41 = new Uint8Array(20);
    q41.set([0x00, 0x38, 0x00, 0xbc]);
    q41[4] = 0x3a; // element 0: 10 -> 0.5 * 10 - 1 = 4; element 16: 3 -> 0.5
    const w41 = dequantize(GGMLQuantizationType.Q4_1, q41, 32, 't');
    expect([w41[0], w41[16], w41[1]]).toEqual([4, 0.5, -1]);
    const q40 = new Uint8Array(18);
    q40.set([0x00, 0x38]);
    q40[2] = 0xf0; // element 0: 0 -> 0.5 * (0 - 8) = -4; element 16: 15 -> 3.5
    const w40 = dequantize(GGMLQuantizationType.Q4_0, q40, 32, 't');
    expect([w40[0], w40[16], w40[5]]).toEqual([-4, 3.5, -4]);
    const q80 = new Uint8Array(34);
    q80.set([0x00, 0x38]);
    q80[2] = 0x80; // -128 -> -64
    q80[33] = 0x7f; // 127 -> 63.5
    const w80 = dequantize(GGMLQuantizationType.Q8_0, q80, 32, 't');
    expect([w80[0], w80[31], w80[1]]).toEqual([-64, 63.5, 0]);
  });

  it('refuses an unsupported type by name, and truncated data', () => {
    expect(() => dequantize(GGMLQuantizationType.Q5_K, new Uint8Array(176), 256, 'tensors.x')).toThrow(/Q5_K is not supported/);
    expect(() => dequantize(GGMLQuantizationType.Q8_0, new Uint8Array(33), 32, 'tensors.x')).toThrow(/truncated/);
  });
});

describe('GGUF import', () => {
  it.each([GGMLQuantizationType.Q4_1, GGMLQuantizationType.Q4_0, GGMLQuantizationType.Q8_0, GGMLQuantizationType.F16])(
    'matrices in type %s: logits match an independent float64 forward pass, and KV decode matches prefill',
    async (matrixType) => {
      const dir = tmp();
      const file = join(dir, 'fixture.gguf');
      writeLlamaFixture(file, { ...SPEC, matrixType });
      const imported = await importGguf(file, join(dir, 'model'), { modelId: 'fixture-llama' });
      expect(imported.config).toMatchObject({ layers: 2, hidden: 64, heads: 4, kvHeads: 2, ffn: 96 });
      const tokens = [1, 40, 77, 120, 3, 250];
      const expected = await referenceLogits(file, tokens);
      const rt = await ModelRuntime.open(join(dir, 'model'));
      try {
        const vocab = rt.descriptor.vocabSize;
        const pass = await rt.runner.prefill([tokens], false);
        let worst = 0;
        let scale = 0;
        expected.forEach((row, pos) =>
          row.forEach((v, i) => {
            worst = Math.max(worst, Math.abs(v - (pass.logits[pos * vocab + i] as number)));
            scale = Math.max(scale, Math.abs(v));
          }),
        );
        // float32 against float64: agreement to ~1e-5 of the logits' range (a wrong RoPE
        // pairing, head mapping or head weight is off by the order of the logits themselves).
        expect(scale).toBeGreaterThan(1);
        expect(worst / scale).toBeLessThan(1e-4);
        // Decoding the last token on the KV cache of the others gives the same logits.
        const head = await rt.runner.prefill([tokens.slice(0, -1)], false);
        const step = await rt.runner.forward(head.cache, [[tokens.at(-1) as number]], false);
        const last = (tokens.length - 1) * vocab;
        for (let i = 0; i < vocab; i++) expect(Math.abs((step.logits[i] as number) - (pass.logits[last + i] as number))).toBeLessThan(1e-4);
      } finally {
        await rt.release();
      }
    },
  );

  it('is deterministic: two imports of one file are byte-identical', async () => {
    const dir = tmp();
    const file = join(dir, 'fixture.gguf');
    writeLlamaFixture(file, SPEC);
    const a = await importGguf(file, join(dir, 'a'), { modelId: 'fixture-llama' });
    const b = await importGguf(file, join(dir, 'b'), { modelId: 'fixture-llama' });
    for (const name of ['fixture-llama.onnx', 'model.json', 'tokenizer.json', 'chat_template.jinja']) {
      expect(sha256Hex(readFileSync(join(a.dir, name)))).toBe(sha256Hex(readFileSync(join(b.dir, name))));
    }
  });

  it('tokenizes with the vocabulary and merges, renders the chat template, and keeps special-token text as text', async () => {
    const dir = tmp();
    const file = join(dir, 'fixture.gguf');
    writeLlamaFixture(file, SPEC);
    await importGguf(file, join(dir, 'model'), { modelId: 'fixture-llama' });
    const rt = await ModelRuntime.open(join(dir, 'model'));
    try {
      const tok = rt.tokenizer;
      const vocab = rt.descriptor.vocabSize;
      // ' the' merges to one token (the last three in the fixture's vocabulary are Ġt, he, Ġthe).
      expect(tok.encode(' the')).toEqual([vocab - 1]);
      expect(tok.decode(tok.encode('héllo <|im_end|> 42'))).toBe('héllo <|im_end|> 42');
      expect(tok.encode('<|im_end|>')).not.toContain(2);
      const prompt = tok.chatPrompt([{ role: 'user', content: 'hi <|im_end|>' }]);
      expect(prompt[0]).toBe(1);
      expect(prompt.filter((t) => t === 2)).toHaveLength(1); // only the template's own end of turn
      expect(tok.decode(prompt)).toBe('user\nhi <|im_end|>\nassistant\n');
    } finally {
      await rt.release();
    }
  });

  it('refuses another architecture, an unsupported tensor type and a truncated file, naming what', async () => {
    const dir = tmp();
    const other = join(dir, 'gpt2.gguf');
    writeLlamaFixture(other, { ...SPEC, architecture: 'gpt2' });
    await expect(importGguf(other, join(dir, 'x'), { modelId: 'x' })).rejects.toMatchObject({ field: 'metadata.general.architecture' });
    const cut = join(dir, 'cut.gguf');
    writeLlamaFixture(cut, SPEC);
    truncateSync(cut, statSync(cut).size - 100);
    const err = await importGguf(cut, join(dir, 'y'), { modelId: 'y' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).message).toMatch(/truncated/);
    expect((err as ModelError).field).toMatch(/^tensors\./);
    await expect(importGguf(cut, join(dir, 'z'), { modelId: 'Bad Id' })).rejects.toMatchObject({ field: 'modelId' });
  });
});
