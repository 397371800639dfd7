/**
 * The sum of every series of `name` in a Prometheus text exposition (what a service serves on
 * /metrics): `name value` or `name{labels} value` lines; 0 when there are none.
 */
export function sumOfSeries(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match?.[1] === name) sum += Number(match[3]);
  }
  return sum;
}

/** sumOfSeries of a running service's /metrics. */
export async function scrapeSum(metricsPort: number, name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics on port ${metricsPort}: ${response.status}`);
  return sumOfSeries(await response.text(), name);
}
