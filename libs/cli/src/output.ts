/**
 * Every measuring subcommand has a `--json` form whose LAST line on stdout is one JSON object.
 * bigint values (money) are written as decimal strings so no precision is lost.
 */
export function printJsonResult(result: object): void {
  process.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Human progress goes to stderr so that stdout's last line stays the JSON result. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
