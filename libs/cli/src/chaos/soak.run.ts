import { readFileSync } from 'node:fs';
import { consumerGroupLag } from '@aegis/bus';
import { Client } from 'pg';
import { FINAL_STATUSES } from './chaos.outcome';
import { startNetwork } from './chaos.run';
import { TaskStream } from './chaos.stream';

export interface SoakOptions {
  readonly minutes: number;
  /** New tasks a second. */
  readonly rate: number;
  /** Length of one reporting interval (default one minute; shorter for short soaks). */
  readonly intervalSeconds: number;
  /** How long after the stream stops the tasks may take to finish. */
  readonly settleTimeoutMs: number;
  readonly progress: (line: string) => void;
}

export interface SoakInterval {
  /** Seconds since the stream started, at the interval's start. */
  readonly startSecond: number;
  /** Tasks offered in the interval, and how many of them reached a final status. */
  readonly tasks: number;
  readonly final: number;
  /** Offer to final status, in ms, of the interval's tasks (null when none was final). */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Records not yet consumed, every service's consumer group together, at the interval's end. */
  readonly kafkaLag: number | null;
}

export interface SoakReport {
  readonly minutes: number;
  readonly rate: number;
  /** Resident memory of each service process at the stream's start and at its end, MiB. */
  readonly rssMiB: Record<string, { readonly start: number | null; readonly end: number | null }>;
  readonly intervals: SoakInterval[];
  readonly tasksSubmitted: number;
  readonly tasksFinal: number;
  readonly tasksLost: number;
  readonly setup: string;
}

/**
 * `aegis soak`: the chaos network (startNetwork) with no faults, a steady stream of `rate`
 * tasks a second for `minutes`, and what would show a leak or a slow drift: each service's
 * resident memory at start and end, Kafka consumer lag at the end of every interval, and the
 * p50/p99 latency (offer to final status) of each interval's tasks.
 */
export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const network = await startNetwork({ replicas: 1, notReadyExitSeconds: 120, progress: o.progress });
  const api = network.ingressApi;
  const stream = new TaskStream(() => api, network.clients);
  const connection = { brokers: [...network.brokers], clientId: 'aegis-soak' };
  try {
    const labels = network.fleet.labels();
    const rss = (): Record<string, number | null> => Object.fromEntries(labels.map((l) => [l, residentMiB(network.fleet.member(l).pid)]));
    const startRss = rss();
    const started = Date.now();
    stream.start(o.rate);
    const lags: (number | null)[] = [];
    const intervals = Math.max(1, Math.round((o.minutes * 60) / o.intervalSeconds));
    for (let i = 0; i < intervals; i++) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + (i + 1) * o.intervalSeconds * 1000 - Date.now())));
      const lag = await consumerGroupLag(connection, 'aegis.').then(Number, () => null);
      lags.push(lag);
      o.progress(
        `soak: ${Math.round((Date.now() - started) / 1000)} s, ${stream.accepted().length} tasks accepted, consumer lag ${String(lag)}`,
      );
    }
    const endRss = rss();
    stream.stopOffering();
    const finalAt = async (): Promise<Map<string, number>> => finalTimes(network.databaseUrl);
    const deadline = Date.now() + o.settleTimeoutMs;
    let finals = await finalAt();
    while (Date.now() < deadline && !stream.accepted().every((t) => finals.has(t.hash))) {
      await new Promise((r) => setTimeout(r, 1_000));
      finals = await finalAt();
    }
    await stream.close();
    const accepted = stream.accepted();
    const report: SoakInterval[] = lags.map((kafkaLag, i) => {
      const from = started + i * o.intervalSeconds * 1000;
      const to = from + o.intervalSeconds * 1000;
      const mine = accepted.filter((t) => t.offeredAt >= from && t.offeredAt < to);
      const latencies = mine.flatMap((t) => {
        const at = finals.get(t.hash);
        return at === undefined ? [] : [at - t.offeredAt];
      });
      return {
        startSecond: i * o.intervalSeconds,
        tasks: mine.length,
        final: latencies.length,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
        kafkaLag,
      };
    });
    const final = accepted.filter((t) => finals.has(t.hash)).length;
    return {
      minutes: o.minutes,
      rate: o.rate,
      rssMiB: Object.fromEntries(labels.map((l) => [l, { start: startRss[l] ?? null, end: endRss[l] ?? null }])),
      intervals: report,
      tasksSubmitted: accepted.length,
      tasksFinal: final,
      tasksLost: accepted.length - final,
      setup: `${labels.join(', ')} each \`node bin/service.js\`; tiny model; 3 nodes, k 3, 2 s window; local Kafka and Postgres`,
    };
  } finally {
    await stream.close();
    await network.close();
  }
}

/** VmRSS of `pid` in MiB (Linux /proc), null when it cannot be read. */
export function residentMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** The value at quantile `q` of `values` (nearest rank), null for none. */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

/** When each task first reached a final status (ms since the epoch), from ingress's status history. */
async function finalTimes(databaseUrl: string): Promise<Map<string, number>> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'aegis-soak', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const r = await client.query<{ task_hash: string; at: Date }>(
      'SELECT task_hash, min(changed_at) AS at FROM ingress.task_status WHERE status = ANY($1) GROUP BY task_hash',
      [FINAL_STATUSES],
    );
    return new Map(r.rows.map((row) => [row.task_hash, row.at.getTime()]));
  } finally {
    await client.end();
  }
}
