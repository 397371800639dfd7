import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { healthProtoPath } from '@aegis/service-kit';
import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const ROOT = resolve(__dirname, '../../../..');

type HealthClient = Client & { check(req: { service: string }, cb: (err: Error | null, res?: { status: string }) => void): void };

/** One service as its own OS process: `node bin/service.js <name>`, what a container runs. */
export interface ServiceProcess {
  readonly label: string;
  readonly pid: number;
  readonly grpcPort: number;
  readonly exited: Promise<number | null>;
}

/**
 * The bench's services, each its own process (so they use both cores, as separate pods would),
 * logs in `logDir/<label>.log`, ready when gRPC health says SERVING. stopAll sends SIGTERM
 * (graceful: drain, commit) in reverse start order.
 */
export class ServiceProcesses {
  private readonly members: { proc: ServiceProcess; child: ChildProcess; log: WriteStream }[] = [];

  /** `cpuProfileDir`: run each process under `node --cpu-prof` writing its profile there (on exit). */
  constructor(
    private readonly logDir: string,
    private readonly cpuProfileDir?: string,
  ) {}

  get all(): readonly ServiceProcess[] {
    return this.members.map((m) => m.proc);
  }

  async start(label: string, service: string, env: Record<string, string>, readyTimeoutMs = 120_000): Promise<ServiceProcess> {
    const log = createWriteStream(join(this.logDir, `${label}.log`));
    const profile = this.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${this.cpuProfileDir}`, `--cpu-prof-name=${label}.cpuprofile`] : [];
    const child = spawn(process.execPath, [...profile, join(ROOT, 'bin/service.js'), service], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AEGIS_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r((exitCode = code))));
    const proc: ServiceProcess = { label, pid: child.pid ?? 0, grpcPort: Number(env.AEGIS_GRPC_PORT), exited };
    this.members.push({ proc, child, log });
    const deadline = Date.now() + readyTimeoutMs;
    while ((await healthStatus(proc.grpcPort)) !== 'SERVING') {
      if (exitCode !== undefined) throw new Error(`${label} exited with ${exitCode} before it was ready; see ${join(this.logDir, `${label}.log`)}`);
      if (Date.now() > deadline) throw new Error(`${label} not SERVING after ${readyTimeoutMs} ms; see ${join(this.logDir, `${label}.log`)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return proc;
  }

  async stopAll(): Promise<void> {
    for (const { proc, child, log } of [...this.members].reverse()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
      if ((await Promise.race([proc.exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await proc.exited;
      }
      log.end();
    }
    this.members.length = 0;
  }
}

async function healthStatus(port: number): Promise<string> {
  const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as HealthClient;
  try {
    return await new Promise((resolve) => client.check({ service: '' }, (err, res) => resolve(err ? 'UNREACHABLE' : (res?.status ?? 'UNKNOWN'))));
  } finally {
    client.close();
  }
}
