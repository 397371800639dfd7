import { readFileSync } from 'node:fs';
import { ConfigError } from './config.loader';

/**
 * `NAME_FILE` support for variables whose value is written at pod start rather than known when a
 * Deployment is rendered (e.g. the control-plane address an init container derives from a key):
 * for each name that is unset while `NAME_FILE` is set, the file's first non-empty line becomes the
 * value. Setting both is refused, so there is never a question of which one wins.
 */
export function withFileVariables(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  const problems: { variable: string; message: string }[] = [];
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      problems.push({ variable: `${name}_FILE`, message: `set either ${name} or ${name}_FILE, not both` });
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push({ variable: `${name}_FILE`, message: `cannot read ${file} (${err instanceof Error ? err.message : String(err)})` });
      continue;
    }
    const line = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l.length > 0);
    if (line === undefined) problems.push({ variable: `${name}_FILE`, message: `${file} is empty` });
    else out[name] = line;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
