import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { NodeKey } from '@aegis/protocol';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Custody of the client keys that sign tasks for API-key clients: each secp256k1 private key is
 * sealed with AES-256-GCM under the gateway's master key (AEGIS_GATEWAY_MASTER_KEY), with the
 * account address as associated data, so a sealed key copied onto another account's row does not
 * open. Sealed form: iv (12) || tag (16) || ciphertext (32). The gateway holds these keys: whoever
 * holds the master key and the database can spend the accounts' balances (docs/api.md, Custody).
 */
export class KeyCustody {
  private readonly master: Buffer;

  constructor(masterKeyHex: string) {
    const hex = masterKeyHex.replace(/^0x/, '');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError('master key: must be 32 bytes as 64 hex digits');
    this.master = Buffer.from(hex, 'hex');
  }

  seal(key: NodeKey): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.master, iv);
    cipher.setAAD(Buffer.from(key.address, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(Buffer.from(key.privateKeyHex().replace(/^0x/, ''), 'hex')), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Throws when the sealed bytes were not made by seal() with this master key for `address`. */
  open(sealed: Uint8Array, address: string): NodeKey {
    const bytes = Buffer.from(sealed);
    if (bytes.length !== IV_BYTES + TAG_BYTES + 32) throw new Error('sealed key: wrong length');
    const decipher = createDecipheriv('aes-256-gcm', this.master, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(address, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const priv = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    const key = NodeKey.fromHex(priv.toString('hex'));
    if (key.address !== address) throw new Error('sealed key: opens to another address');
    return key;
  }
}
