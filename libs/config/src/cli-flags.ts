/**
 * Command-line flags that stand for environment variables, so an operator can write
 * `node bin/service.js inference-worker --behavior wrong-tokens` for a demo instead of setting
 * AEGIS_BEHAVIOR. Flags win over the environment; the result is validated like the env itself.
 */
export function flagsAsEnv(
  argv: readonly string[],
  flags: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split('=', 2) : [undefined, undefined];
    if (name === undefined) continue;
    const variable = flags[name];
    if (variable === undefined) throw new Error(`unknown flag --${name}; known: ${Object.keys(flags).map((f) => `--${f}`).join(', ')}`);
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new Error(`flag --${name} needs a value`);
    if (inline === undefined) i++;
    out[variable] = value;
  }
  return out;
}
