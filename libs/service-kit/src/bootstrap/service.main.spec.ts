import { disableFastKeccak, fastKeccakEnabled } from '@aegis/protocol';
import { waitFor } from '@aegis/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { runServiceMain } from './service.main';

describe('runServiceMain', () => {
  afterEach(() => disableFastKeccak());

  it('starts the service with keccak256 on its WebAssembly path', async () => {
    disableFastKeccak();
    let seen: boolean | undefined;
    runServiceMain('test', async () => {
      seen = fastKeccakEnabled();
    });
    await waitFor('the service started', () => seen !== undefined);
    expect(seen).toBe(true);
  });
});
