import { ServiceFleet, type FleetMember } from '@aegis/testing';

interface Supervised {
  readonly service: string;
  readonly env: Record<string, string>;
  member: FleetMember | undefined;
  /** The harness took it down on purpose (a fault): do not restart it behind the fault's back. */
  held: boolean;
  restarts: number;
}

/**
 * The chaos run's services under a supervisor, as Kubernetes would run them: a process that
 * exits when nobody asked it to (the readiness watchdog, a crash) is started again with the same
 * environment and ports after a short back-off, until it reports ready. Faults take a member
 * down deliberately (`hold`) and bring it back (`release`).
 */
export class SupervisedFleet {
  private readonly members = new Map<string, Supervised>();
  private stopping = false;

  constructor(
    private readonly fleet: ServiceFleet,
    private readonly progress: (line: string) => void,
  ) {}

  async start(label: string, service: string, env: Record<string, string>): Promise<FleetMember> {
    const entry: Supervised = { service, env, member: undefined, held: false, restarts: 0 };
    this.members.set(label, entry);
    return this.launch(label, entry);
  }

  member(label: string): FleetMember {
    const m = this.members.get(label)?.member;
    if (!m) throw new Error(`chaos: no running member ${label}`);
    return m;
  }

  labels(): string[] {
    return [...this.members.keys()];
  }

  /** Restarts the supervisor made on its own (not those a fault asked for). */
  unplannedRestarts(): Record<string, number> {
    return Object.fromEntries([...this.members].filter(([, e]) => e.restarts > 0).map(([label, e]) => [label, e.restarts]));
  }

  /** Marks `label` as down on purpose and runs `down` (a kill or a graceful stop), waiting for the exit. */
  async hold(label: string, down: (member: FleetMember) => Promise<unknown>): Promise<void> {
    const entry = this.entry(label);
    entry.held = true;
    const member = this.member(label);
    await down(member);
    await member.exited;
  }

  /** Starts a held member again; resolves once it is ready. */
  async release(label: string): Promise<FleetMember> {
    const entry = this.entry(label);
    entry.held = false;
    return this.launch(label, entry);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await this.fleet.stopAll();
  }

  private entry(label: string): Supervised {
    const entry = this.members.get(label);
    if (!entry) throw new Error(`chaos: unknown member ${label}`);
    return entry;
  }

  /** Starts `label` until it is ready (a start during an outage fails: tried again, as a crash loop would). */
  private async launch(label: string, entry: Supervised): Promise<FleetMember> {
    for (let attempt = 1; ; attempt++) {
      try {
        const member = await this.fleet.start(label, entry.service, entry.env);
        entry.member = member;
        void member.exited.then((code) => this.exited(label, entry, member, code));
        return member;
      } catch (err) {
        // A start that never became ready may still hold its ports: end it before the next try.
        for (const stale of this.fleet.all.filter((m) => m.label === label && m.child.exitCode === null && m.child.signalCode === null)) {
          stale.child.kill('SIGKILL');
          await stale.exited;
        }
        if (this.stopping || attempt >= 30) throw err;
        this.progress(`  ${label} did not start (${err instanceof Error ? err.message.split(';')[0] : String(err)}); again in 2 s`);
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  }

  private exited(label: string, entry: Supervised, member: FleetMember, code: number | null): void {
    if (this.stopping || entry.held || entry.member !== member) return;
    entry.restarts += 1;
    entry.member = undefined;
    this.progress(`  ${label} exited (${String(code)}) unasked: restarting it (supervisor)`);
    setTimeout(() => {
      if (this.stopping || entry.held) return;
      this.launch(label, entry).catch((err: unknown) => this.progress(`  ${label} could not be restarted: ${String(err)}`));
    }, 1_000);
  }
}
