import type { LedgerCommand } from '../core/ledger.commands';
import { LedgerError } from '../core/ledger.errors';
import type { LedgerRules } from '../core/ledger.rules';
import { migrateLedger, PgLedger } from '../pg/pg.ledger';

export interface LedgerBenchOptions {
  url: string;
  /** Scratch schema, created and migrated here; the caller drops it. */
  schema: string;
  clients: number;
  /** Staked nodes that submit, verify and win disputes (256). */
  nodes?: number;
  seed?: number;
  onProgress?: (line: string) => void;
}

export interface LedgerBenchResult {
  tps: number;
  /** Committed commands (each one transaction). */
  commands: number;
  /** Commands the rules refused (rolled back; not counted in tps). */
  refused: number;
  seconds: number;
  clients: number;
  /** Committed commands per kind. */
  byKind: Record<string, number>;
  /** Transactions rerun after a deadlock or serialization failure. */
  retries: number;
  /** CPU of this (client) process per command: what the Node side costs, apart from Postgres. */
  cpuMsPerCommand: number;
}

const RULES: LedgerRules = { minStake: 10_000n, unbondingSeconds: 60 };
const NODE_FUNDS = 1_000_000_000n;
const CLIENT_FUNDS = 10n ** 18n;

/** What one round of one client loop reports back. */
export interface ClientLoopResult {
  committed: number;
  refused: number;
  retries: number;
  byKind: Record<string, number>;
}

/**
 * One client's loop until `deadline` (performance.now() ms), a realistic mix of ledger commands:
 *  - 60% of flows: a task fee escrowed by a client, then paid out to the submitter and 3 verifiers
 *    (the fee does not divide evenly, so the treasury is credited too);
 *  - 20%: a node adds stake; 10%: a node requests an unstake;
 *  - 10%: a cheater joins (deposit + stake), is disputed, liquidated, and the pool is distributed
 *    to 3 winners.
 * Accounts are shared across clients (nodes pay and get paid concurrently), so row locks contend
 * as they would in production.
 */
export async function runClientLoop(
  ledger: PgLedger,
  client: { index: number; address: string },
  nodes: readonly string[],
  round: number,
  seed: number,
  deadline: number,
): Promise<ClientLoopResult> {
  const byKind: Record<string, number> = {};
  let committed = 0;
  let refused = 0;
  const retriesBefore = ledger.retries;
  const apply = async (cmd: LedgerCommand): Promise<boolean> => {
    try {
      await ledger.apply(cmd, new Date());
      committed += 1;
      byKind[cmd.kind] = (byKind[cmd.kind] ?? 0) + 1;
      return true;
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      refused += 1;
      return false;
    }
  };
  const w = client.index;
  const rand = mulberry32((seed * 7919 + w) * 31 + round);
  const pick = (): string => nodes[Math.floor(rand() * nodes.length)]!;
  const distinct = (n: number, not: string): string[] => {
    const out = new Set<string>();
    while (out.size < n) {
      const x = pick();
      if (x !== not) out.add(x);
    }
    return [...out];
  };
  for (let i = 0; performance.now() < deadline; i++) {
    const id = `r${round}-w${w}-${i}`;
    const r = rand();
    if (r < 0.6) {
      const submitter = pick();
      if (await apply({ kind: 'escrow-fee', key: `e-${id}`, taskId: `task-${id}`, client: client.address, amount: 1_000_003n })) {
        await apply({
          kind: 'payout-fee',
          key: `p-${id}`,
          taskId: `task-${id}`,
          submitter,
          verifiers: distinct(3, submitter),
          submitterShareBps: 7_000,
        });
      }
    } else if (r < 0.8) {
      await apply({ kind: 'stake', key: `s-${id}`, address: pick(), amount: BigInt(1 + Math.floor(rand() * 100)) });
    } else if (r < 0.9) {
      await apply({ kind: 'request-unstake', key: `u-${id}`, address: pick(), amount: 1n });
    } else {
      const cheater = address(0x100000 + round * 0x1000000 + w * 0x10000 + i);
      const dispute = `dispute-${id}`;
      await apply({ kind: 'deposit', key: `cd-${id}`, address: cheater, amount: RULES.minStake });
      await apply({ kind: 'stake', key: `cs-${id}`, address: cheater, amount: RULES.minStake });
      await apply({ kind: 'open-dispute', key: `o-${id}`, disputeId: dispute, accused: cheater });
      await apply({ kind: 'liquidate', key: `l-${id}`, disputeId: dispute, address: cheater });
      await apply({ kind: 'distribute-pool', key: `x-${id}`, disputeId: dispute, winners: distinct(3, cheater) });
    }
  }
  return { committed, refused, retries: ledger.retries - retriesBefore, byKind };
}

/**
 * The ledger side of `aegis bench ledger`: `clients` concurrent client loops sharing one PgLedger
 * with one connection each. (Worker threads, one per client like pgbench -j, were tried: each V8
 * isolate roughly tripled the CPU per command, which on a small machine cost more than it gave.)
 */
export class LedgerBench {
  private round = 0;

  private constructor(
    private readonly ledger: PgLedger,
    private readonly options: LedgerBenchOptions,
    private readonly nodes: string[],
    private readonly clients: { index: number; address: string }[],
  ) {}

  /** Migrates the scratch schema and seeds nodes (staked) and clients (funded). */
  static async setup(options: LedgerBenchOptions): Promise<LedgerBench> {
    const log = options.onProgress ?? (() => undefined);
    const nodes = Array.from({ length: options.nodes ?? 256 }, (_, i) => address(0x1000 + i));
    const clients = Array.from({ length: options.clients }, (_, index) => ({ index, address: address(0x2000 + index) }));
    await migrateLedger({ url: options.url, schema: options.schema });
    const ledger = await PgLedger.connect({ url: options.url, schema: options.schema, rules: RULES, poolSize: options.clients });
    const now = new Date();
    log(`seeding ${nodes.length} nodes and ${clients.length} clients`);
    for (let i = 0; i < nodes.length; i += options.clients) {
      await Promise.all(
        nodes.slice(i, i + options.clients).map(async (n) => {
          await ledger.apply({ kind: 'deposit', key: `seed-d-${n}`, address: n, amount: NODE_FUNDS }, now);
          await ledger.apply({ kind: 'stake', key: `seed-s-${n}`, address: n, amount: RULES.minStake * 10n }, now);
        }),
      );
    }
    for (const c of clients)
      await ledger.apply({ kind: 'deposit', key: `seed-c-${c.address}`, address: c.address, amount: CLIENT_FUNDS }, now);
    return new LedgerBench(ledger, options, nodes, clients);
  }

  /** Runs the mix for `seconds`; then checks the invariant (a broken one fails the benchmark). */
  async measure(seconds: number): Promise<LedgerBenchResult> {
    this.round += 1;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const seed = this.options.seed ?? 1;
    const results = await Promise.all(this.clients.map((c) => runClientLoop(this.ledger, c, this.nodes, this.round, seed, deadline)));
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const byKind: Record<string, number> = {};
    let committed = 0;
    let refused = 0;
    for (const r of results) {
      committed += r.committed;
      refused += r.refused;
      for (const [k, n] of Object.entries(r.byKind)) byKind[k] = (byKind[k] ?? 0) + n;
    }
    const report = await this.ledger.checkInvariant();
    if (!report.ok) throw new Error(`ledger invariant broken after the benchmark: sum ${report.sum} != minted ${report.minted}`);
    return {
      tps: committed / elapsed,
      commands: committed,
      refused,
      seconds: elapsed,
      clients: this.options.clients,
      byKind,
      // One shared PgLedger: every loop saw the same counter, so take it once.
      retries: Math.max(0, ...results.map((r) => r.retries)),
      cpuMsPerCommand: (cpu.user + cpu.system) / 1000 / Math.max(1, committed + refused),
    };
  }

  async close(): Promise<void> {
    await this.ledger.close();
  }
}

function address(n: number): string {
  return `0x${n.toString(16).padStart(40, '0')}`;
}

/** Small seeded PRNG: the same seed gives the same workload. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
