import { bytesToHex, hexToBytes } from '@noble/hashes/utils';
import { ProtocolError, ProtocolErrorCode } from './protocol.errors';

const HEX_BODY = /^[0-9a-fA-F]*$/;
const U32_MAX = 0xffff_ffff;
export const U64_MAX = (1n << 64n) - 1n;

// No Buffer: the protocol core must also run in a browser.

/** '0x' + lowercase hex, the one wire/JSON form for bytes (conventions.md). */
export function toHex(b: Uint8Array): string {
  return `0x${bytesToHex(b)}`;
}

/**
 * Parses hex with or without '0x' (either case). With `expectedBytes`, the length must match.
 * Throws ProtocolError(INVALID_HEX) naming `field` on any malformation.
 */
export function fromHex(s: string, expectedBytes?: number, field = 'hex'): Uint8Array {
  if (typeof s !== 'string') {
    throw new ProtocolError(ProtocolErrorCode.INVALID_HEX, 'expected a hex string', field);
  }
  const body = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s;
  if (body.length % 2 !== 0 || !HEX_BODY.test(body)) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_HEX, 'not an even-length hex string', field);
  }
  if (expectedBytes !== undefined && body.length !== expectedBytes * 2) {
    throw new ProtocolError(ProtocolErrorCode.INVALID_HEX, `expected ${expectedBytes} bytes, got ${body.length / 2}`, field);
  }
  return hexToBytes(body);
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function isUint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

export function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff;
}

export function isU64(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value <= U64_MAX;
}

export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

export function u64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, false);
  return out;
}

/** Big-endian u64 at `offset` of `b` (b must hold 8 bytes there). */
export function readU64be(b: Uint8Array, offset: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(offset, false);
}

/**
 * Append-only big-endian writer for canonical encodings. Each put* checks its range and throws
 * ProtocolError(OUT_OF_RANGE) naming the field, so an encoding is never silently truncated.
 */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  private reserve(extra: number): number {
    const need = this.len + extra;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.len;
    this.len = need;
    return at;
  }

  bytes(b: Uint8Array): this {
    this.buf.set(b, this.reserve(b.length));
    return this;
  }

  u8(n: number, field: string): this {
    if (!isUint(n, 0xff)) throw outOfRange(field, 'u8');
    const at = this.reserve(1); // before reading this.view: reserve may replace it
    this.view.setUint8(at, n);
    return this;
  }

  u16(n: number, field: string): this {
    if (!isUint(n, 0xffff)) throw outOfRange(field, 'u16');
    const at = this.reserve(2); // before reading this.view: reserve may replace it
    this.view.setUint16(at, n, false);
    return this;
  }

  u32(n: number, field: string): this {
    if (!isUint(n, U32_MAX)) throw outOfRange(field, 'u32');
    const at = this.reserve(4); // before reading this.view: reserve may replace it
    this.view.setUint32(at, n, false);
    return this;
  }

  i32(n: number, field: string): this {
    if (!isInt32(n)) throw outOfRange(field, 'i32');
    const at = this.reserve(4); // before reading this.view: reserve may replace it
    this.view.setInt32(at, n, false);
    return this;
  }

  u64(n: bigint, field: string): this {
    if (!isU64(n)) throw outOfRange(field, 'u64');
    const at = this.reserve(8); // before reading this.view: reserve may replace it
    this.view.setBigUint64(at, n, false);
    return this;
  }

  /** u16be byte length + UTF-8 bytes. */
  string16(s: string, field: string): this {
    const b = utf8(s);
    return this.u16(b.length, field).bytes(b);
  }

  /** u32be count + u32be each element. */
  u32List(xs: readonly number[], field: string): this {
    this.u32(xs.length, field);
    for (const x of xs) this.u32(x, field);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function outOfRange(field: string, type: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.OUT_OF_RANGE, `not a valid ${type}`, field);
}
