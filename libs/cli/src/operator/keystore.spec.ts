import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeKey } from '@aegis/protocol';
import { describe, expect, it } from 'vitest';
import { decryptKeystore, encryptKey, KeystoreErrorCode, keystoreAddress, listKeystores, writeKeystoreFile } from './keystore';

// The test vector of the Web3 Secret Storage definition (scrypt, password "testpassword"):
// an independent implementation's file, so the address below is not one our code produced.
const SPEC_SCRYPT_VECTOR = JSON.stringify({
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
    ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
    kdf: 'scrypt',
    kdfparams: { dklen: 32, n: 262144, r: 1, p: 8, salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19' },
    mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
});
const SPEC_PRIVATE_KEY = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d';
const SPEC_ADDRESS = '0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b';
const FAST_N = 1024; // only for round trips in tests; new keystores use DEFAULT_SCRYPT_N

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return 'no error';
}

describe('keystore', () => {
  it('decrypts the Web3 Secret Storage scrypt vector to the key whose protocol address is the spec address', async () => {
    const key = await decryptKeystore(SPEC_SCRYPT_VECTOR, 'testpassword');
    expect(key.privateKeyHex()).toBe(SPEC_PRIVATE_KEY);
    expect(key.address).toBe(SPEC_ADDRESS);
    expect(NodeKey.fromHex(SPEC_PRIVATE_KEY).address).toBe(SPEC_ADDRESS);
  }, 60_000);

  it('round-trips a new key and names its protocol address in the file', async () => {
    const key = NodeKey.generate();
    const json = await encryptKey(key, 'pw', FAST_N);
    expect(keystoreAddress(json, 'f')).toBe(key.address);
    expect(JSON.parse(json)).toMatchObject({ version: 3, crypto: { kdf: 'scrypt', cipher: 'aes-128-ctr', kdfparams: { n: FAST_N } } });
    expect(json).not.toContain(key.privateKeyHex().slice(2));
    expect((await decryptKeystore(json, 'pw')).privateKeyHex()).toBe(key.privateKeyHex());
  });

  it('tells a wrong passphrase from a corrupt file', async () => {
    const json = await encryptKey(NodeKey.generate(), 'right', FAST_N);
    expect(await code(decryptKeystore(json, 'wrong'))).toBe(KeystoreErrorCode.WRONG_PASSPHRASE);
    expect(await code(decryptKeystore('{not json', 'right'))).toBe(KeystoreErrorCode.CORRUPT_FILE);
    expect(await code(decryptKeystore(JSON.stringify({ version: 1 }), 'right'))).toBe(KeystoreErrorCode.CORRUPT_FILE);
    const noCrypto = JSON.stringify({ ...JSON.parse(json), crypto: undefined });
    expect(await code(decryptKeystore(noCrypto, 'right'))).toBe(KeystoreErrorCode.CORRUPT_FILE);
  });

  it('refuses a file whose address field names another account than the key inside', async () => {
    const json = JSON.parse(await encryptKey(NodeKey.generate(), 'pw', FAST_N)) as Record<string, unknown>;
    const forged = JSON.stringify({ ...json, address: NodeKey.generate().address.slice(2) });
    expect(await code(decryptKeystore(forged, 'pw'))).toBe(KeystoreErrorCode.ADDRESS_MISMATCH);
  });

  it('writes files 0600, never over an existing one, and lists them by address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aegis-keys-'));
    const key = NodeKey.generate();
    const file = join(dir, 'k.json');
    writeKeystoreFile(file, await encryptKey(key, 'pw', FAST_N));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => writeKeystoreFile(file, 'x')).toThrow(/already exists/);
    expect(readFileSync(file, 'utf8')).toContain('"version":3');
    expect(listKeystores(dir)).toEqual([{ file, address: key.address }]);
  });
});
