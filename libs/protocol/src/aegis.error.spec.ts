import { describe, expect, it } from 'vitest';
import { AegisError, fieldMessage, isAegisError } from './aegis.error';
import { ProtocolError, ProtocolErrorCode } from './protocol.errors';

class SampleError extends AegisError<'A' | 'B'> {
  constructor(code: 'A' | 'B', kind: 'invalid' | 'unavailable', retryable?: boolean) {
    super(code, kind, fieldMessage('x.y', 'went wrong'), { field: 'x.y', ...(retryable === undefined ? {} : { retryable }) });
  }
}

describe('AegisError', () => {
  it('carries code, kind, field and a retryable flag that defaults from the kind', () => {
    const invalid = new SampleError('A', 'invalid');
    expect([invalid.code, invalid.kind, invalid.field, invalid.retryable, invalid.message]).toEqual([
      'A',
      'invalid',
      'x.y',
      false,
      'x.y: went wrong',
    ]);
    expect(new SampleError('B', 'unavailable').retryable).toBe(true);
    expect(new SampleError('B', 'unavailable', false).retryable).toBe(false);
    expect(isAegisError(invalid)).toBe(true);
    expect(isAegisError(new Error('plain'))).toBe(false);
  });

  it('is the base of the protocol core errors, with a kind per code', () => {
    const sig = new ProtocolError(ProtocolErrorCode.BAD_SIGNATURE, 'does not recover', 'signature');
    expect(sig).toBeInstanceOf(AegisError);
    expect([sig.kind, sig.field, sig.message]).toEqual(['unauthenticated', 'signature', 'signature: does not recover']);
    expect(new ProtocolError(ProtocolErrorCode.POW_EXHAUSTED, 'gave up').retryable).toBe(true);
  });
});
