import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from './bytes';
import { ProtocolErrorCode } from './protocol.errors';

describe('hex', () => {
  it('round-trips and is always lowercase 0x-prefixed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const h = toHex(b);
        expect(h).toMatch(/^0x[0-9a-f]*$/);
        expect(fromHex(h)).toEqual(b);
        expect(fromHex(h.toUpperCase().replace('0X', '0x'))).toEqual(b);
      }),
    );
  });

  it('rejects odd length, non-hex characters and wrong lengths, naming the field', () => {
    for (const [s, n] of [
      ['0x123', undefined],
      ['0xzz', undefined],
      ['0x1234', 3],
      ['0x 12', undefined],
    ] as const) {
      expect(() => fromHex(s, n, 'digest')).toThrow(expect.objectContaining({ code: ProtocolErrorCode.INVALID_HEX, field: 'digest' }));
    }
  });
});
