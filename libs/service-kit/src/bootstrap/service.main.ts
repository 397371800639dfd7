import { ConfigError } from '@aegis/config';
import { enableFastKeccak } from '@aegis/protocol';

/**
 * The body of every services/<name>/src/main.ts: runs `start` and, if it fails (bad environment,
 * unreachable broker or database), writes one JSON line naming the cause and exits non-zero, so
 * Kubernetes shows the reason and restarts the pod.
 *
 * Every service hashes on its hot path (task hashes, result digests, beacons, lottery tickets,
 * ledger content hashes): keccak256 goes through WebAssembly from the start, ~1.5 us per short
 * input instead of ~15-25 us in pure JS (the CLI and so the devnet do the same in their main).
 */
export function runServiceMain(service: string, start: () => Promise<unknown>): void {
  enableFastKeccak()
    .then(start)
    .catch((err: unknown) => {
      const line =
        err instanceof ConfigError
          ? { level: 'fatal', service, msg: 'refusing to start: invalid configuration', problems: err.problems }
          : { level: 'fatal', service, msg: 'failed to start', err: err instanceof Error ? (err.stack ?? err.message) : String(err) };
      process.stderr.write(`${JSON.stringify(line)}\n`);
      process.exit(1);
    });
}
