import { readFileSync, statSync } from 'node:fs';
import { gguf, type GGMLQuantizationType, type GGUFParseOutput, type MetadataValue } from '@huggingface/gguf';
import { dequantize, tensorByteLength, tensorTypeName } from './gguf.tensors';
import { ModelError, ModelErrorCode } from './model.errors';

export interface GgufTensor {
  readonly name: string;
  /** ggml order: ne0 (fastest) first. A [cols, rows] matrix is `rows` rows of `cols` weights. */
  readonly shape: readonly number[];
  readonly type: GGMLQuantizationType;
  readonly typeName: string;
  /** The tensor's bytes as stored (quantised blocks), a view into the file. */
  readonly bytes: Uint8Array;
}

/** A GGUF file read whole: metadata through @huggingface/gguf, tensor bytes checked against the file's length. */
export class GgufFile {
  private constructor(
    readonly path: string,
    readonly metadata: Readonly<Record<string, MetadataValue>>,
    private readonly tensors: ReadonlyMap<string, GgufTensor>,
  ) {}

  static async open(path: string): Promise<GgufFile> {
    let size: number;
    try {
      size = statSync(path).size;
    } catch (e) {
      throw new ModelError(
        ModelErrorCode.MalformedModel,
        'file',
        `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      );
    }
    let parsed: GGUFParseOutput;
    try {
      parsed = await gguf(path, { allowLocalFile: true });
    } catch (e) {
      throw new ModelError(
        ModelErrorCode.MalformedModel,
        'file',
        `${path} is not a readable GGUF file (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    if (!parsed.littleEndian) throw new ModelError(ModelErrorCode.MalformedModel, 'file', 'big-endian GGUF files are not supported');
    const data = readFileSync(path);
    const base = Number(parsed.tensorDataOffset);
    const tensors = new Map<string, GgufTensor>();
    for (const info of parsed.tensorInfos) {
      const field = `tensors.${info.name}`;
      const shape = info.shape.map(Number);
      const count = shape.reduce((a, b) => a * b, 1);
      const length = tensorByteLength(info.dtype, count, field);
      const start = base + Number(info.offset);
      if (start + length > size) {
        throw new ModelError(
          ModelErrorCode.MalformedModel,
          field,
          `the file is truncated: the tensor ends at byte ${start + length} of ${size}`,
        );
      }
      tensors.set(info.name, {
        name: info.name,
        shape,
        type: info.dtype,
        typeName: tensorTypeName(info.dtype),
        bytes: data.subarray(start, start + length),
      });
    }
    return new GgufFile(path, parsed.metadata as Record<string, MetadataValue>, tensors);
  }

  tensorNames(): string[] {
    return [...this.tensors.keys()];
  }

  tensor(name: string): GgufTensor {
    const t = this.tensors.get(name);
    if (t === undefined) throw new ModelError(ModelErrorCode.MalformedModel, `tensors.${name}`, 'is missing from the file');
    return t;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** A tensor dequantised to float32 in file order, after checking its shape is `shape`. */
  floats(name: string, shape: readonly number[]): Float32Array {
    const t = this.tensor(name);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelError(
        ModelErrorCode.MalformedModel,
        `tensors.${name}`,
        `has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
    return dequantize(
      t.type,
      t.bytes,
      shape.reduce((a, b) => a * b, 1),
      `tensors.${name}`,
    );
  }

  uint(key: string, min = 1, max = 1 << 30): number {
    const v = this.metadata[key];
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw new ModelError(ModelErrorCode.MalformedModel, `metadata.${key}`, `must be an integer in [${min}, ${max}], got ${describe(v)}`);
    }
    return n;
  }

  float(key: string): number {
    const v = this.metadata[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ModelError(ModelErrorCode.MalformedModel, `metadata.${key}`, `must be a number, got ${describe(v)}`);
    return v;
  }

  string(key: string): string {
    const v = this.metadata[key];
    if (typeof v !== 'string')
      throw new ModelError(ModelErrorCode.MalformedModel, `metadata.${key}`, `must be a string, got ${describe(v)}`);
    return v;
  }

  optionalBool(key: string): boolean | undefined {
    const v = this.metadata[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean')
      throw new ModelError(ModelErrorCode.MalformedModel, `metadata.${key}`, `must be a boolean, got ${describe(v)}`);
    return v;
  }

  strings(key: string): string[] {
    const v = this.metadata[key];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
      throw new ModelError(ModelErrorCode.MalformedModel, `metadata.${key}`, 'must be an array of strings');
    return v as string[];
  }

  numbers(key: string): number[] {
    const v = this.metadata[key];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'number'))
      throw new ModelError(ModelErrorCode.MalformedModel, `metadata.${key}`, 'must be an array of numbers');
    return v as number[];
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (missing)';
  if (typeof v === 'bigint') return v.toString();
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 60)}...` : s;
}
