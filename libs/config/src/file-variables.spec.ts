import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, withFileVariables } from './index';

const dir = mkdtempSync(join(tmpdir(), 'aegis-filevars-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('withFileVariables', () => {
  it('reads NAME from the first non-empty line of NAME_FILE when NAME is unset', () => {
    const env = withFileVariables({ AEGIS_CONTROL_ADDRESS_FILE: file('a', '\n 0xabc \nignored\n') }, ['AEGIS_CONTROL_ADDRESS']);
    expect(env['AEGIS_CONTROL_ADDRESS']).toBe('0xabc');
  });

  it('leaves the environment alone when no _FILE variable is set', () => {
    expect(withFileVariables({ AEGIS_CONTROL_ADDRESS: '0x1' }, ['AEGIS_CONTROL_ADDRESS'])).toEqual({ AEGIS_CONTROL_ADDRESS: '0x1' });
  });

  it.each([
    ['both set', { AEGIS_X: '1', AEGIS_X_FILE: file('b', '2') }, /either AEGIS_X or AEGIS_X_FILE/],
    ['a missing file', { AEGIS_X_FILE: join(dir, 'nope') }, /cannot read/],
    ['an empty file', { AEGIS_X_FILE: file('c', '\n\n') }, /is empty/],
  ])('refuses %s, naming the _FILE variable', (_what, env, message) => {
    let caught: unknown;
    try {
      withFileVariables(env, ['AEGIS_X']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems[0]?.variable).toBe('AEGIS_X_FILE');
    expect((caught as ConfigError).message).toMatch(message);
  });
});
