import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process CPU time in clock ticks; USER_HZ is 100 on every mainstream kernel build. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, or undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Summed CPU seconds of every process whose command name is `comm` (e.g. all Postgres backends). */
export function commandCpuSeconds(comm: string): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    total += processCpuSeconds(Number(entry)) ?? 0;
  }
  return total;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/**
 * CPU used by named parties between start() and stop(): each a function returning cumulative
 * seconds. Postgres backends come and go, so their sum can only be sampled at both ends (a
 * backend that exited meanwhile is missed: the figure is a lower bound).
 */
export class CpuMeter {
  private start = new Map<string, number>();
  private machineStart = machineCpuSeconds();

  constructor(private readonly parties: Readonly<Record<string, () => number | undefined>>) {}

  begin(): void {
    this.machineStart = machineCpuSeconds();
    this.start = new Map(Object.entries(this.parties).map(([name, read]) => [name, read() ?? 0]));
  }

  /** CPU seconds per party since begin(), plus the machine's busy share over the same time. */
  end(): { perParty: Record<string, number>; machineBusyShare: number } {
    const machine = machineCpuSeconds();
    const perParty: Record<string, number> = {};
    for (const [name, read] of Object.entries(this.parties)) perParty[name] = round((read() ?? 0) - (this.start.get(name) ?? 0));
    const total = machine.total - this.machineStart.total;
    return { perParty, machineBusyShare: total > 0 ? round((machine.busy - this.machineStart.busy) / total) : 0 };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
