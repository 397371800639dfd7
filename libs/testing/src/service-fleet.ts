import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { grpcHealthStatus } from '@aegis/service-kit';
import { inheritedProcessEnv } from './test-servers.config';

const ROOT = resolve(__dirname, '../../..');

export interface FleetMember {
  readonly label: string;
  readonly service: string;
  readonly pid: number;
  readonly grpcPort: number;
  /** Where its /metrics is served, when its env set AEGIS_METRICS_PORT. */
  readonly metricsPort: number | undefined;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

export interface ServiceFleetOptions {
  /** Run each process under `node --cpu-prof`, writing `<label>.cpuprofile` here on exit. */
  readonly cpuProfileDir?: string;
  /** AEGIS_LOG_LEVEL unless the member's env sets one (default `info`). */
  readonly logLevel?: string;
  /** How long a member may take to report SERVING (default 90 s). */
  readonly readyTimeoutMs?: number;
}

/**
 * Services, each its own OS process (`node bin/service.js <name>`, exactly what a container
 * runs, and so using every core as separate pods would), with logs in `logDir/<label>.log` and
 * readiness by gRPC health. Used by the end-to-end test and the pipeline benchmark.
 */
export class ServiceFleet {
  private readonly members: FleetMember[] = [];
  private readonly logs: WriteStream[] = [];

  constructor(
    private readonly logDir: string,
    private readonly options: ServiceFleetOptions = {},
  ) {}

  get all(): readonly FleetMember[] {
    return this.members;
  }

  /**
   * Starts `node bin/service.js <service>` with `env`; `entry` replaces that command line's script
   * and arguments (e.g. `['bin/cheater.js', 'inference-worker', 'wrong-tokens']` for a cheating node).
   */
  async start(label: string, service: string, env: Record<string, string>, entry?: readonly string[]): Promise<FleetMember> {
    const logFile = join(this.logDir, `${label}.log`);
    const log = createWriteStream(logFile);
    this.logs.push(log);
    const { cpuProfileDir, logLevel = 'info', readyTimeoutMs = 90_000 } = this.options;
    const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`, `--cpu-prof-name=${label}.cpuprofile`] : [];
    const script = entry ? [join(ROOT, entry[0] ?? ''), ...entry.slice(1)] : [join(ROOT, 'bin/service.js'), service];
    const child = spawn(process.execPath, [...profile, ...script], {
      cwd: ROOT,
      // A clean environment: only what the member is given, as in a pod.
      env: { ...inheritedProcessEnv(), AEGIS_LOG_LEVEL: logLevel, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r((exitCode = code))));
    const metricsPort = env.AEGIS_METRICS_PORT === undefined ? undefined : Number(env.AEGIS_METRICS_PORT);
    const member: FleetMember = { label, service, pid: child.pid ?? 0, grpcPort: Number(env.AEGIS_GRPC_PORT), metricsPort, child, exited };
    this.members.push(member);
    const deadline = Date.now() + readyTimeoutMs;
    while ((await grpcHealthStatus(member.grpcPort)) !== 'SERVING') {
      if (exitCode !== undefined) throw new Error(`${label} exited with ${exitCode} before it was ready; see ${logFile}`);
      if (Date.now() > deadline) throw new Error(`${label} not SERVING after ${readyTimeoutMs} ms; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return member;
  }

  /** SIGTERM (graceful: health NOT_SERVING, drain, commit), SIGKILL after 20 s; the exit code. */
  async stop(member: FleetMember): Promise<number | null> {
    if (member.child.exitCode === null && member.child.signalCode === null) member.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
    const result = await Promise.race([member.exited, timeout]);
    if (result !== 'timeout') return result;
    member.child.kill('SIGKILL');
    return member.exited;
  }

  /** Stops every member in reverse start order, then closes the logs. */
  async stopAll(): Promise<void> {
    for (const member of [...this.members].reverse()) await this.stop(member);
    this.members.length = 0;
    for (const log of this.logs) log.end();
    this.logs.length = 0;
  }
}
