// Integration tests run against real servers. This starts them (idempotently) through the same
// project scripts an operator uses, so a fresh machine needs nothing installed by hand.
//
// What a test run starts, it stops: a broker or database left running holds its port, and the next
// checkout's `npm test` or `aegis bench pipeline` on this machine would find it taken. A server that
// was already running when the run began (a developer's own, or one kept on purpose) is left alone.
// AEGIS_KEEP_TEST_SERVERS=1 keeps what the run started, for fast repeated runs; stop them afterwards
// with `bash deploy/local/kafka.sh stop; bash deploy/local/postgres.sh stop`.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const SCRIPTS = ['deploy/local/postgres.sh', 'deploy/local/kafka.sh'] as const;

function run(script: string, action: 'start' | 'stop'): void {
  execFileSync('bash', [resolve(root, script), action], { stdio: 'inherit' });
}

/** Both scripts' `status` exits 0 only while their server runs and answers. */
function isRunning(script: string): boolean {
  return spawnSync('bash', [resolve(root, script), 'status'], { stdio: 'ignore' }).status === 0;
}

export default function setup(): () => void {
  const started: string[] = [];
  for (const script of SCRIPTS) {
    if (!isRunning(script)) started.push(script);
    run(script, 'start');
  }
  return () => {
    if (process.env.AEGIS_KEEP_TEST_SERVERS === '1') return;
    // Kafka first: it is the one that holds the well-known port other tools probe for.
    for (const script of [...started].reverse()) run(script, 'stop');
  };
}
