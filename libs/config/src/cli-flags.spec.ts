import { describe, expect, it } from 'vitest';
import { flagsAsEnv } from './cli-flags';

const flags = { behavior: 'AEGIS_BEHAVIOR' };

describe('flagsAsEnv', () => {
  it('maps --flag value and --flag=value to their variables', () => {
    expect(flagsAsEnv(['--behavior', 'copy'], flags)).toEqual({ AEGIS_BEHAVIOR: 'copy' });
    expect(flagsAsEnv(['--behavior=wrong-tokens'], flags)).toEqual({ AEGIS_BEHAVIOR: 'wrong-tokens' });
    expect(flagsAsEnv([], flags)).toEqual({});
  });

  it('refuses unknown flags and missing values, naming the flag', () => {
    expect(() => flagsAsEnv(['--behaviour', 'copy'], flags)).toThrow(/--behaviour/);
    expect(() => flagsAsEnv(['--behavior'], flags)).toThrow(/--behavior needs a value/);
  });
});
