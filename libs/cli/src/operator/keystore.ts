import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from '@ethereumjs/wallet';
import { AegisError, type Address, type ErrorKind, NodeKey } from '@aegis/protocol';

export enum KeystoreErrorCode {
  WRONG_PASSPHRASE = 'WRONG_PASSPHRASE',
  CORRUPT_FILE = 'CORRUPT_FILE',
  NOT_FOUND = 'NOT_FOUND',
  EXISTS = 'EXISTS',
  ADDRESS_MISMATCH = 'ADDRESS_MISMATCH',
}

const KEYSTORE_KIND: Record<KeystoreErrorCode, ErrorKind> = {
  [KeystoreErrorCode.WRONG_PASSPHRASE]: 'unauthenticated',
  [KeystoreErrorCode.CORRUPT_FILE]: 'invalid',
  [KeystoreErrorCode.NOT_FOUND]: 'not-found',
  [KeystoreErrorCode.EXISTS]: 'conflict',
  [KeystoreErrorCode.ADDRESS_MISMATCH]: 'invalid',
};

/** A keystore the CLI cannot read or write; `field` is the file or option at fault. */
export class KeystoreError extends AegisError<KeystoreErrorCode> {
  override readonly name = 'KeystoreError';
  declare readonly field: string;

  constructor(code: KeystoreErrorCode, field: string, message: string) {
    super(code, KEYSTORE_KIND[code], `${field}: ${message}`, { field });
  }
}

/**
 * scrypt cost of new keystores: the Web3 Secret Storage default (n = 2^18, r = 8, p = 1), about a
 * second and 256 MiB per unlock, which is what makes a stolen file expensive to guess.
 */
export const DEFAULT_SCRYPT_N = 262_144;

/** Where `aegis keys` keeps keystores unless told otherwise: $AEGIS_KEY_DIR, else ~/.aegis/keys. */
export function defaultKeyDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['AEGIS_KEY_DIR'];
  return dir !== undefined && dir !== '' ? dir : join(homedir(), '.aegis', 'keys');
}

/**
 * The Web3 Secret Storage v3 JSON of `key` (scrypt + AES-128-CTR + keccak MAC, by @ethereumjs/wallet).
 * The library derives the address itself; it must be the protocol's, or the file would name an
 * account the key does not sign for.
 */
export async function encryptKey(key: NodeKey, passphrase: string, scryptN = DEFAULT_SCRYPT_N): Promise<string> {
  const wallet = Wallet.fromPrivateKey(Buffer.from(key.privateKeyHex().slice(2), 'hex'));
  if (wallet.getAddressString() !== key.address) {
    throw new KeystoreError(
      KeystoreErrorCode.ADDRESS_MISMATCH,
      'key',
      `keystore address ${wallet.getAddressString()} is not the node address ${key.address}`,
    );
  }
  return `${await wallet.toV3String(passphrase, { kdf: 'scrypt', n: scryptN })}\n`;
}

/** The address a keystore file names (no passphrase needed), checked to be a canonical address. */
export function keystoreAddress(json: string, field: string): Address {
  const parsed = parseKeystoreJson(json, field);
  const raw = parsed['address'];
  if (typeof raw !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(raw)) {
    throw new KeystoreError(KeystoreErrorCode.CORRUPT_FILE, field, 'no "address" of 40 hex digits in the keystore');
  }
  return `0x${raw.replace(/^0x/, '').toLowerCase()}`;
}

/** Decrypts a keystore; a wrong passphrase and a damaged file are told apart. */
export async function decryptKeystore(json: string, passphrase: string, field = 'keystore'): Promise<NodeKey> {
  const parsed = parseKeystoreJson(json, field);
  let wallet: Wallet;
  try {
    wallet = await Wallet.fromV3(json, passphrase, true);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/wrong passphrase/i.test(message))
      throw new KeystoreError(KeystoreErrorCode.WRONG_PASSPHRASE, field, 'wrong passphrase (the keystore MAC does not match)');
    throw new KeystoreError(KeystoreErrorCode.CORRUPT_FILE, field, `not a readable Web3 Secret Storage v3 keystore (${message})`);
  }
  const key = NodeKey.fromHex(Buffer.from(wallet.getPrivateKey()).toString('hex'));
  if (parsed['address'] !== undefined && keystoreAddress(json, field) !== key.address) {
    throw new KeystoreError(
      KeystoreErrorCode.ADDRESS_MISMATCH,
      field,
      `the file says ${keystoreAddress(json, field)} but holds the key of ${key.address}`,
    );
  }
  return key;
}

function parseKeystoreJson(json: string, field: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new KeystoreError(KeystoreErrorCode.CORRUPT_FILE, field, 'not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new KeystoreError(KeystoreErrorCode.CORRUPT_FILE, field, 'not a JSON object');
  const record = parsed as Record<string, unknown>;
  if (record['version'] !== 3) throw new KeystoreError(KeystoreErrorCode.CORRUPT_FILE, field, 'not a version 3 keystore');
  return record;
}

export function readKeystoreFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeystoreError(KeystoreErrorCode.NOT_FOUND, path, `cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Writes a new keystore readable by its owner only (0600); never replaces an existing file. */
export function writeKeystoreFile(path: string, json: string): void {
  if (existsSync(path)) throw new KeystoreError(KeystoreErrorCode.EXISTS, path, 'already exists; choose another --out');
  writeFileSync(path, json, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600); // the mode above is filtered by the umask; this is not
}

export function ensureKeyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Every keystore in `dir` with the address it names; unreadable files are reported, not skipped silently. */
export function listKeystores(dir: string): { file: string; address?: Address; error?: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = join(dir, name);
      try {
        return { file, address: keystoreAddress(readFileSync(file, 'utf8'), file) };
      } catch (err) {
        return { file, error: err instanceof Error ? err.message : String(err) };
      }
    });
}
