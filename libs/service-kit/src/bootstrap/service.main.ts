import { ConfigError } from '@aegis/config';

/**
 * The body of every services/<name>/src/main.ts: runs `start` and, if it fails (bad environment,
 * unreachable broker or database), writes one JSON line naming the cause and exits non-zero, so
 * Kubernetes shows the reason and restarts the pod.
 */
export function runServiceMain(service: string, start: () => Promise<unknown>): void {
  start().catch((err: unknown) => {
    const line =
      err instanceof ConfigError
        ? { level: 'fatal', service, msg: 'refusing to start: invalid configuration', problems: err.problems }
        : { level: 'fatal', service, msg: 'failed to start', err: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    process.stderr.write(`${JSON.stringify(line)}\n`);
    process.exit(1);
  });
}
