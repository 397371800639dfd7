/**
 * Small Llama GGUF files for tests: random weights in the tensor types the importer reads, a
 * byte-level vocabulary, llama.cpp's metadata keys. The header and key-value section come from
 * @huggingface/gguf's serializer; this appends the tensor infos and the data that follow it.
 */
import { writeFileSync } from 'node:fs';
import { GGMLQuantizationType, GGUFValueType, serializeGgufMetadata, type GGUFTypedMetadata } from '@huggingface/gguf';
import { WeightPrng } from './weights.prng';

export interface FixtureSpec {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  /** Tensor type of the block matrices; the embedding is Q8_0 and norms F32, as in SmolLM2's file. */
  matrixType: GGMLQuantizationType;
  seed: string;
  architecture?: string;
}

/** GPT-2's byte-to-unicode table: the printable stand-in of every byte in a byte-level BPE vocabulary. */
export function byteLevelAlphabet(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(keep.includes(b) ? b : 256 + extra++);
  return out;
}

export const FIXTURE_SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
export const FIXTURE_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

interface Tensor {
  name: string;
  shape: number[];
  type: GGMLQuantizationType;
  data: Uint8Array;
}

function half(x: number): number {
  // float -> binary16 for values in the normal range (all the fixture uses), round to nearest.
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a < 2 ** -14) return sign; // below the normal range: the fixture writes a signed zero
  let e = Math.floor(Math.log2(a));
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  return sign | ((e + 15) << 10) | m;
}

function quantised(type: GGMLQuantizationType, count: number, prng: WeightPrng, scale: number): Uint8Array {
  const u = (): number => prng.nextUint32() / 2 ** 32;
  switch (type) {
    case GGMLQuantizationType.F32: {
      const out = new Float32Array(count).map(() => (u() * 2 - 1) * scale);
      return new Uint8Array(out.buffer);
    }
    case GGMLQuantizationType.F16: {
      const out = new Uint16Array(count).map(() => half((u() * 2 - 1) * scale));
      return new Uint8Array(out.buffer);
    }
    case GGMLQuantizationType.Q4_0:
    case GGMLQuantizationType.Q4_1:
    case GGMLQuantizationType.Q8_0: {
      const blockBytes = type === GGMLQuantizationType.Q8_0 ? 34 : type === GGMLQuantizationType.Q4_1 ? 20 : 18;
      const out = new Uint8Array((count / 32) * blockBytes);
      const view = new DataView(out.buffer);
      for (let b = 0; b < count / 32; b++) {
        const at = b * blockBytes;
        view.setUint16(at, half((scale / 8) * (0.5 + u())), true);
        if (type === GGMLQuantizationType.Q4_1) view.setUint16(at + 2, half(-scale * (0.5 + u())), true);
        const dataAt = type === GGMLQuantizationType.Q4_1 ? 4 : 2;
        const bytes = type === GGMLQuantizationType.Q8_0 ? 32 : 16;
        for (let j = 0; j < bytes; j++) out[at + dataAt + j] = prng.nextUint32() & 0xff;
      }
      return out;
    }
    default:
      throw new Error(`fixture cannot write type ${type}`);
  }
}

/** Writes a random Llama GGUF at `path`; returns the tensor list it wrote. */
export function writeLlamaFixture(path: string, spec: FixtureSpec): void {
  const alphabet = byteLevelAlphabet();
  const tokens = [...FIXTURE_SPECIALS, ...alphabet, 'Ġt', 'he', 'Ġthe'];
  const merges = ['Ġ t', 'h e', 'Ġt he'];
  const vocab = tokens.length;
  const prng = new WeightPrng(spec.seed, 'fixture');
  const hd = spec.hidden / spec.heads;
  const tensors: Tensor[] = [];
  const add = (name: string, shape: number[], type: GGMLQuantizationType, scale: number): void => {
    tensors.push({
      name,
      shape,
      type,
      data: quantised(
        type,
        shape.reduce((a, b) => a * b, 1),
        prng,
        scale,
      ),
    });
  };
  const vecType = GGMLQuantizationType.F32;
  add('token_embd.weight', [spec.hidden, vocab], GGMLQuantizationType.Q8_0, 1);
  for (let l = 0; l < spec.layers; l++) {
    const p = `blk.${l}`;
    add(`${p}.attn_norm.weight`, [spec.hidden], vecType, 1);
    add(`${p}.attn_q.weight`, [spec.hidden, spec.hidden], spec.matrixType, 1.5 / Math.sqrt(spec.hidden));
    add(`${p}.attn_k.weight`, [spec.hidden, spec.kvHeads * hd], spec.matrixType, 1.5 / Math.sqrt(spec.hidden));
    add(`${p}.attn_v.weight`, [spec.hidden, spec.kvHeads * hd], spec.matrixType, 1 / Math.sqrt(spec.hidden));
    add(`${p}.attn_output.weight`, [spec.hidden, spec.hidden], spec.matrixType, 1 / Math.sqrt(spec.hidden));
    add(`${p}.ffn_norm.weight`, [spec.hidden], vecType, 1);
    add(`${p}.ffn_gate.weight`, [spec.hidden, spec.ffn], spec.matrixType, 1 / Math.sqrt(spec.hidden));
    add(`${p}.ffn_up.weight`, [spec.hidden, spec.ffn], spec.matrixType, 1 / Math.sqrt(spec.hidden));
    add(`${p}.ffn_down.weight`, [spec.ffn, spec.hidden], spec.matrixType, 1 / Math.sqrt(spec.ffn));
  }
  add('output_norm.weight', [spec.hidden], vecType, 1);

  const arch = spec.architecture ?? 'llama';
  const u32 = (value: number) => ({ value, type: GGUFValueType.UINT32 }) as const;
  const f32 = (value: number) => ({ value, type: GGUFValueType.FLOAT32 }) as const;
  const str = (value: string) => ({ value, type: GGUFValueType.STRING }) as const;
  const kv: Record<string, unknown> = {
    'general.architecture': str(arch),
    [`${arch}.block_count`]: u32(spec.layers),
    [`${arch}.context_length`]: u32(256),
    [`${arch}.embedding_length`]: u32(spec.hidden),
    [`${arch}.feed_forward_length`]: u32(spec.ffn),
    [`${arch}.attention.head_count`]: u32(spec.heads),
    [`${arch}.attention.head_count_kv`]: u32(spec.kvHeads),
    [`${arch}.rope.freq_base`]: f32(10000),
    [`${arch}.attention.layer_norm_rms_epsilon`]: f32(1e-5),
    [`${arch}.vocab_size`]: u32(vocab),
    'tokenizer.ggml.model': str('gpt2'),
    'tokenizer.ggml.pre': str('smollm'),
    'tokenizer.ggml.tokens': { value: tokens, type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING },
    'tokenizer.ggml.token_type': {
      value: tokens.map((_, i) => (i < FIXTURE_SPECIALS.length ? 3 : 1)),
      type: GGUFValueType.ARRAY,
      subType: GGUFValueType.INT32,
    },
    'tokenizer.ggml.merges': { value: merges, type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING },
    'tokenizer.ggml.bos_token_id': u32(1),
    'tokenizer.ggml.eos_token_id': u32(2),
    'tokenizer.chat_template': str(FIXTURE_TEMPLATE),
  };
  const metadata = {
    version: { value: 3, type: GGUFValueType.UINT32 },
    tensor_count: { value: BigInt(tensors.length), type: GGUFValueType.UINT64 },
    kv_count: { value: BigInt(Object.keys(kv).length), type: GGUFValueType.UINT64 },
    ...kv,
  } as unknown as GGUFTypedMetadata;
  const header = serializeGgufMetadata(metadata, { littleEndian: true, alignment: 32 });

  // Tensor infos: name (u64 length + bytes), n_dims u32, dims u64 each, type u32, offset u64.
  const infoParts: Buffer[] = [];
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    const name = Buffer.from(t.name, 'utf8');
    const b = Buffer.alloc(8 + name.length + 4 + 8 * t.shape.length + 4 + 8);
    let at = b.writeBigUInt64LE(BigInt(name.length), 0);
    at += name.copy(b, at);
    at = b.writeUInt32LE(t.shape.length, at);
    for (const d of t.shape) at = b.writeBigUInt64LE(BigInt(d), at);
    at = b.writeUInt32LE(t.type, at);
    b.writeBigUInt64LE(BigInt(offset), at);
    infoParts.push(b);
    offset += Math.ceil(t.data.length / 32) * 32;
  }
  // serializeGgufMetadata pads the key-value section for alignment; the tensor infos follow it.
  const headerTrimmed = trimPadding(header);
  const beforeData = Buffer.concat([Buffer.from(headerTrimmed), ...infoParts]);
  const pad = (32 - (beforeData.length % 32)) % 32;
  const data = Buffer.alloc(offset);
  tensors.forEach((t, i) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(data, offsets[i]));
  writeFileSync(path, Buffer.concat([beforeData, Buffer.alloc(pad), data]));
}

/** The serializer's output ends in zero padding to the alignment; the tensor infos must come right after the key-value pairs. */
function trimPadding(header: Uint8Array): Uint8Array {
  let end = header.length;
  while (end > 0 && header[end - 1] === 0) end--;
  return header.subarray(0, end);
}
