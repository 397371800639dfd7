/**
 * What `aegis chaos` does to the running network, and in which order: a pure plan (kinds,
 * targets, durations, the pauses between them), drawn from a seeded generator so a run can be
 * repeated exactly (`--seed`).
 */
export type FaultKind =
  /** SIGKILL, then a fresh process: whatever it held in memory is gone. */
  | 'kill-9'
  /** SIGTERM (graceful drain: readiness off, in-flight work finished and committed), then a fresh process. */
  | 'sigterm-restart'
  /** SIGSTOP past the Kafka consumer session timeout (its partitions move to others), then SIGCONT. */
  | 'sigstop'
  /** The Kafka broker stopped (kafka.sh stop) for `durationMs`, then started. */
  | 'broker-stop'
  /** Postgres stopped (postgres.sh stop) for `durationMs`, then started. */
  | 'postgres-stop'
  /** One of two replicas killed (-9); the other carries on alone until recovery is measured, then it returns. */
  | 'replica-kill';

export const FAULT_KINDS: readonly FaultKind[] = ['kill-9', 'sigterm-restart', 'sigstop', 'broker-stop', 'postgres-stop', 'replica-kill'];

export interface Fault {
  readonly kind: FaultKind;
  /** A service label (ingress, tallier, worker-b, ...), or kafka / postgres. */
  readonly target: string;
  /** How long the fault lasts (stops and freezes); 0 for kills. */
  readonly durationMs: number;
  /** The steady stream runs this long before the fault is injected (a random point). */
  readonly delayMs: number;
}

/** The services every chaos run starts; workers and verifiers as two replicas (-a, -b) in a full run. */
export const SINGLE_SERVICES = ['ledger', 'ingress', 'tallier', 'pow-checker'] as const;

export interface PlanOptions {
  readonly short: boolean;
  /** How many times each fault of the full plan is injected. */
  readonly repeat: number;
  /** How long a SIGSTOP lasts: past the consumer session timeout. */
  readonly stopMs: number;
  readonly seed: number;
}

/** mulberry32: a small seeded generator, enough to spread faults over a run reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The faults of a run in a shuffled order, each after a random pause of 2-6 s of steady load.
 * Short (CI): kill -9 of the tallier, a SIGTERM restart of ingress, the broker and Postgres each
 * stopped for 5 s. Full: every service killed and restarted both ways, a SIGSTOP of each
 * consumer, the broker and Postgres stopped for 5 s and 60 s, one of two worker and verifier
 * replicas killed; each `repeat` times.
 */
export function chaosPlan(o: PlanOptions): Fault[] {
  const random = seededRandom(o.seed);
  const kinds: Omit<Fault, 'delayMs'>[] = o.short
    ? [
        { kind: 'kill-9', target: 'tallier', durationMs: 0 },
        { kind: 'sigterm-restart', target: 'ingress', durationMs: 0 },
        { kind: 'broker-stop', target: 'kafka', durationMs: 5_000 },
        { kind: 'postgres-stop', target: 'postgres', durationMs: 5_000 },
      ]
    : Array.from({ length: o.repeat }, () => fullRound(o.stopMs)).flat();
  const shuffled = [...kinds];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j] as Omit<Fault, 'delayMs'>, shuffled[i] as Omit<Fault, 'delayMs'>];
  }
  return shuffled.map((f) => ({ ...f, delayMs: 2_000 + Math.floor(random() * 4_000) }));
}

function fullRound(stopMs: number): Omit<Fault, 'delayMs'>[] {
  const services = [...SINGLE_SERVICES, 'worker-a', 'verifier-a'];
  return [
    ...services.map((target) => ({ kind: 'kill-9' as const, target, durationMs: 0 })),
    ...services.map((target) => ({ kind: 'sigterm-restart' as const, target, durationMs: 0 })),
    ...['tallier', 'worker-a', 'verifier-a', 'ledger'].map((target) => ({ kind: 'sigstop' as const, target, durationMs: stopMs })),
    { kind: 'broker-stop', target: 'kafka', durationMs: 5_000 },
    { kind: 'broker-stop', target: 'kafka', durationMs: 60_000 },
    { kind: 'postgres-stop', target: 'postgres', durationMs: 5_000 },
    { kind: 'postgres-stop', target: 'postgres', durationMs: 60_000 },
    { kind: 'replica-kill', target: 'worker-b', durationMs: 0 },
    { kind: 'replica-kill', target: 'verifier-b', durationMs: 0 },
  ];
}
