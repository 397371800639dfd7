import { keccak_256 } from '@noble/hashes/sha3';
import { createKeccak, type IHasher } from 'hash-wasm';

/**
 * The WebAssembly Keccak, once enabled. ASLI hashes once per generated token (U_t) and the
 * verifier once per claimed token; @noble/hashes' pure-JS Keccak costs ~15-25 us per short input
 * on this class of machine, which alone is several percent of a small model's decode step,
 * while hash-wasm's costs ~1.5 us. WebAssembly can only be instantiated asynchronously, so the
 * fast path is opt-in (enableFastKeccak) and noble remains the reference: both paths are checked
 * against the same published test vectors.
 */
let wasmKeccak: IHasher | undefined;

/** Switches keccak256 to the WebAssembly implementation for the rest of the process. Idempotent. */
export async function enableFastKeccak(): Promise<void> {
  wasmKeccak ??= await createKeccak(256);
}

/** Whether keccak256 takes the WebAssembly path in this process. */
export function fastKeccakEnabled(): boolean {
  return wasmKeccak !== undefined;
}

/** Back to the pure-JS reference (tests compare both paths). */
export function disableFastKeccak(): void {
  wasmKeccak = undefined;
}

/** Ethereum's Keccak-256 (original padding), NOT NIST SHA3-256. */
export function keccak256(data: Uint8Array): Uint8Array {
  if (wasmKeccak === undefined) return keccak_256(data);
  // The hasher is reused: init() resets it, and JS is single-threaded, so calls never interleave.
  wasmKeccak.init();
  wasmKeccak.update(data);
  return wasmKeccak.digest('binary');
}
