import { GGMLQuantizationType } from '@huggingface/gguf';
import { ModelError, ModelErrorCode } from './model.errors';

/**
 * Dequantisation of the GGML tensor types a Llama-family GGUF of this project may hold. The
 * layouts are ggml's (ggml-common.h): each block covers 32 consecutive weights of one row.
 *   F32   4 bytes per weight
 *   F16   2 bytes per weight (IEEE half)
 *   Q4_0  f16 d, 16 bytes of nibbles: w = d * (q - 8)
 *   Q4_1  f16 d, f16 m, 16 bytes of nibbles: w = d * q + m
 *   Q8_0  f16 d, 32 int8: w = d * q
 * Nibbles: byte j holds element j (low 4 bits) and element j + 16 (high 4 bits).
 * Parsing the file itself is @huggingface/gguf's job; this is only the arithmetic of the blocks.
 */
export const QK = 32;

export const SUPPORTED_TENSOR_TYPES: ReadonlyMap<GGMLQuantizationType, { name: string; blockBytes: number; blockWeights: number }> =
  new Map([
    [GGMLQuantizationType.F32, { name: 'F32', blockBytes: 4, blockWeights: 1 }],
    [GGMLQuantizationType.F16, { name: 'F16', blockBytes: 2, blockWeights: 1 }],
    [GGMLQuantizationType.Q4_0, { name: 'Q4_0', blockBytes: 18, blockWeights: QK }],
    [GGMLQuantizationType.Q4_1, { name: 'Q4_1', blockBytes: 20, blockWeights: QK }],
    [GGMLQuantizationType.Q8_0, { name: 'Q8_0', blockBytes: 34, blockWeights: QK }],
  ]);

export function tensorTypeName(type: GGMLQuantizationType): string {
  return SUPPORTED_TENSOR_TYPES.get(type)?.name ?? GGMLQuantizationType[type] ?? `type ${type}`;
}

/** Bytes a tensor of `count` weights takes; refuses types this importer cannot read, by name. */
export function tensorByteLength(type: GGMLQuantizationType, count: number, field: string): number {
  const info = SUPPORTED_TENSOR_TYPES.get(type);
  if (info === undefined) {
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      field,
      `tensor type ${tensorTypeName(type)} is not supported (supported: ${[...SUPPORTED_TENSOR_TYPES.values()].map((t) => t.name).join(', ')})`,
    );
  }
  if (count % info.blockWeights !== 0) {
    throw new ModelError(
      ModelErrorCode.MalformedModel,
      field,
      `${count} weights is not a whole number of ${info.name} blocks of ${info.blockWeights}`,
    );
  }
  return (count / info.blockWeights) * info.blockBytes;
}

const HALF_EXP = new Float64Array(32).map((_, e) => 2 ** (e - 15));

/** IEEE 754 binary16 to a JS number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * (HALF_EXP[exp] as number);
}

/** The weights of one tensor as float32, in the file's order (row-major, ne0 fastest). */
export function dequantize(type: GGMLQuantizationType, bytes: Uint8Array, count: number, field: string): Float32Array {
  const need = tensorByteLength(type, count, field);
  if (bytes.length < need)
    throw new ModelError(ModelErrorCode.MalformedModel, field, `tensor data is truncated: ${bytes.length} of ${need} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, need);
  const out = new Float32Array(count);
  switch (type) {
    case GGMLQuantizationType.F32:
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case GGMLQuantizationType.F16:
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case GGMLQuantizationType.Q4_0:
    case GGMLQuantizationType.Q4_1: {
      const withMin = type === GGMLQuantizationType.Q4_1;
      const blockBytes = withMin ? 20 : 18;
      const dataAt = withMin ? 4 : 2;
      for (let b = 0; b < count / QK; b++) {
        const at = b * blockBytes;
        const d = halfToFloat(view.getUint16(at, true));
        const m = withMin ? halfToFloat(view.getUint16(at + 2, true)) : -8 * d;
        for (let j = 0; j < 16; j++) {
          const q = bytes[at + dataAt + j] as number;
          out[b * QK + j] = d * (q & 0x0f) + m;
          out[b * QK + j + 16] = d * (q >> 4) + m;
        }
      }
      return out;
    }
    case GGMLQuantizationType.Q8_0:
      for (let b = 0; b < count / QK; b++) {
        const at = b * 34;
        const d = halfToFloat(view.getUint16(at, true));
        for (let j = 0; j < QK; j++) out[b * QK + j] = d * view.getInt8(at + 2 + j);
      }
      return out;
    default:
      // tensorByteLength has refused every other type already.
      throw new ModelError(ModelErrorCode.MalformedModel, field, `tensor type ${tensorTypeName(type)} is not supported`);
  }
}
