// Integration tests run against real servers. This starts them (idempotently) through the same
// project scripts an operator uses, so a fresh machine needs nothing installed by hand.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

export default function setup(): void {
  for (const script of ['deploy/local/postgres.sh', 'deploy/local/kafka.sh']) {
    execFileSync('bash', [resolve(root, script), 'start'], { stdio: 'inherit' });
  }
}
