import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Fault injection on the test servers that deploy/local/kafka.sh and postgres.sh run: the
 * integration tests that check recovery freeze, stop and restart them through these.
 */
const root = resolve(__dirname, '../../..');

/** The broker JVM's pid (kafka.sh keeps it in .cache/kafka/run-<port>/broker.pid). */
export function testBrokerPid(): number {
  const port = process.env.AEGIS_KAFKA_PORT ?? '19092';
  const pid = Number(readFileSync(resolve(root, `.cache/kafka/run-${port}/broker.pid`), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no broker pid for port ${port}`);
  return pid;
}

/**
 * SIGSTOP / SIGCONT the broker: its sockets stay open and keep accepting bytes, so requests in
 * flight neither fail nor get answered until it resumes (a long GC pause, a frozen VM).
 */
export function freezeTestBroker(): () => void {
  const pid = testBrokerPid();
  process.kill(pid, 'SIGSTOP');
  let thawed = false;
  return () => {
    if (thawed) return;
    thawed = true;
    process.kill(pid, 'SIGCONT');
  };
}

/** Runs `deploy/local/<server>.sh <action>`; start returns once the server answers. */
export function testServer(server: 'kafka' | 'postgres', action: 'start' | 'stop'): void {
  execFileSync('bash', [resolve(root, `deploy/local/${server}.sh`), action], { stdio: 'inherit' });
}
