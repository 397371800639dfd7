import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { credentials, loadPackageDefinition, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { healthProtoPath } from '@aegis/service-kit';

const ROOT = resolve(__dirname, '../..');

export interface FleetMember {
  readonly label: string;
  readonly service: string;
  readonly grpcPort: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

type HealthClient = Client & { check(req: { service: string }, cb: (err: Error | null, res?: { status: string }) => void): void };

/**
 * Every service as its own OS process (`node bin/service.js <name>`, exactly what a container
 * runs), with its environment, its logs in `logDir/<label>.log`, readiness by gRPC health.
 */
export class ServiceFleet {
  private readonly members: FleetMember[] = [];
  private readonly logs: WriteStream[] = [];

  constructor(private readonly logDir: string) {}

  async start(label: string, service: string, env: Record<string, string>, readyTimeoutMs = 90_000): Promise<FleetMember> {
    const log = createWriteStream(join(this.logDir, `${label}.log`));
    this.logs.push(log);
    const child = spawn(process.execPath, [join(ROOT, 'bin/service.js'), service], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', AEGIS_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const member: FleetMember = { label, service, grpcPort: Number(env.AEGIS_GRPC_PORT), child, exited };
    this.members.push(member);
    const deadline = Date.now() + readyTimeoutMs;
    let exitCode: number | null | undefined;
    void exited.then((c) => (exitCode = c));
    while ((await healthStatus(member.grpcPort)) !== 'SERVING') {
      if (exitCode !== undefined) throw new Error(`${label} exited with ${exitCode} before it was ready; see ${join(this.logDir, `${label}.log`)}`);
      if (Date.now() > deadline) throw new Error(`${label} not SERVING after ${readyTimeoutMs} ms; see ${join(this.logDir, `${label}.log`)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return member;
  }

  /** SIGTERM (graceful: health NOT_SERVING, drain, commit) and wait for the exit code. */
  async stop(member: FleetMember): Promise<number | null> {
    if (member.child.exitCode === null && member.child.signalCode === null) member.child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
    const result = await Promise.race([member.exited, timeout]);
    if (result === 'timeout') {
      member.child.kill('SIGKILL');
      return member.exited;
    }
    return result;
  }

  async stopAll(): Promise<void> {
    for (const member of [...this.members].reverse()) await this.stop(member);
    for (const log of this.logs) log.end();
  }
}

export async function healthStatus(port: number): Promise<string> {
  const pkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as HealthClient;
  try {
    return await new Promise((resolve) =>
      client.check({ service: '' }, (err, res) => resolve(err ? 'UNREACHABLE' : (res?.status ?? 'UNKNOWN'))),
    );
  } finally {
    client.close();
  }
}
