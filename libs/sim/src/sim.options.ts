import { AegisError } from '@aegis/protocol';
import { DEFAULT_COMMITTEE_SIZE, DEFAULT_MAX_EXTENSIONS, TALLY_RULES, type TallyRule } from '@aegis/consensus';

/** What an attacker does; see docs/consensus.md for each. */
export const BASE_STRATEGIES = ['wrong-results', 'lazy-verifiers', 'lazy', 'colluding', 'griefing', 'withholding', 'adaptive'] as const;
export type BaseStrategy = (typeof BASE_STRATEGIES)[number];

/**
 * Attack strategies the simulator knows: each base strategy, and its stake-splitting variant
 * (`<base>-split`: every attacker stake split into min-stake addresses). `sybil` is the older name
 * of `colluding-split`.
 */
export const SIM_STRATEGIES = [...BASE_STRATEGIES, ...BASE_STRATEGIES.map((b) => `${b}-split` as const), 'sybil'] as const;
export type SimStrategy = BaseStrategy | `${BaseStrategy}-split` | 'sybil';

/** The strategy without its splitting: what each attacker address does. */
export function baseStrategy(s: SimStrategy): BaseStrategy {
  if (s === 'sybil') return 'colluding';
  return (s.endsWith('-split') ? s.slice(0, -'-split'.length) : s) as BaseStrategy;
}

/** Whether attackers split their stake into min-stake addresses. */
export function splitsStake(s: SimStrategy): boolean {
  return s === 'sybil' || s.endsWith('-split');
}

export interface SimOptions {
  /** Node operators (one address each, except sybil cheaters who split into many). */
  readonly nodes: number;
  readonly tasks: number;
  /** Attacker share of operators, which (stakes being drawn alike) is also its expected stake share. */
  readonly cheaters: number;
  readonly strategy: SimStrategy;
  /** Probability that a cheater's own result is wrong. */
  readonly rate: number;
  readonly seed: string;
  /** Expected verifiers per task (the lottery's k; default the network's, sized for 1e-3 at a third of the stake). */
  readonly k: number;
  /** Probability that an honest verifier detects a wrong result (1.0 = the measured catch rate). */
  readonly catchRate: number;
  readonly windowSeconds: number;
  readonly taskIntervalSeconds: number;
  /** Undecided closes extended before the larger side decides (the consensus config's maxExtensions). */
  readonly maxExtensions: number;
  /** The tally rule every submission of the run is opened under. */
  readonly tally: TallyRule;
  readonly minStake: bigint;
  /** Operators stake minStake * U{1..maxStakeMultiple}. */
  readonly maxStakeMultiple: number;
  readonly fee: bigint;
  readonly submitterShareBps: number;
  /** adaptive: the share of the run (by task index) after which attackers strike; honest before. */
  readonly strikeAt: number;
  /**
   * The PoW checker's audit share outside disputes: each verdict is recomputed with this
   * probability (in a dispute or a widened call, always). A verdict that was never computed
   * (lazy, lazy-verifiers) fails its audit and its verifier is liquidated. Default: the checker's
   * own rule at this run's fee and minimum stake (defaultAuditShare).
   */
  readonly auditShare: number;
}

/**
 * The share the PoW checker derives by default (pow-checker audit.share.ts, DEFAULT_AUDIT_SHARE_POLICY):
 * max(2 * fee / minStake, 1 - 1e-6^(1/100)), at most 1: 0.2 at the default fee and minimum stake.
 */
export function defaultAuditShare(fee: bigint, minStake: bigint): number {
  const deterrence = (2 * Number(fee)) / Number(minStake);
  const detection = -Math.expm1(Math.log(1e-6) / 100);
  return Math.min(1, Math.max(deterrence, detection));
}

export const DEFAULT_SIM_OPTIONS: SimOptions = {
  nodes: 300,
  tasks: 2000,
  cheaters: 0.2,
  strategy: 'wrong-results',
  rate: 0.5,
  seed: 'aegis',
  k: DEFAULT_COMMITTEE_SIZE,
  catchRate: 1,
  windowSeconds: 3600,
  taskIntervalSeconds: 30,
  maxExtensions: DEFAULT_MAX_EXTENSIONS,
  tally: 'stake',
  minStake: 10_000n,
  maxStakeMultiple: 9,
  fee: 1_000n,
  submitterShareBps: 7_000,
  strikeAt: 0.5,
  auditShare: defaultAuditShare(1_000n, 10_000n),
};

export class SimOptionError extends AegisError<'INVALID_OPTION'> {
  override readonly name = 'SimOptionError';
  declare readonly field: keyof SimOptions;

  constructor(field: keyof SimOptions, message: string) {
    super('INVALID_OPTION', 'invalid', `${field}: ${message}`, { field });
  }
}

/** Validates every field, naming the first bad one; returns a complete options object. */
export function validateSimOptions(input: Partial<SimOptions>): SimOptions {
  const merged = { ...DEFAULT_SIM_OPTIONS, ...input };
  // The audit share follows the run's fee and stake unless given, as the checker's does.
  const o: SimOptions =
    input.auditShare === undefined && typeof merged.fee === 'bigint' && typeof merged.minStake === 'bigint' && merged.minStake > 0n
      ? { ...merged, auditShare: defaultAuditShare(merged.fee, merged.minStake) }
      : merged;
  intIn(o, 'nodes', 2, 100_000);
  intIn(o, 'tasks', 1, 10_000_000);
  fraction(o, 'cheaters', 0, 0.99);
  if (!(SIM_STRATEGIES as readonly string[]).includes(o.strategy))
    throw new SimOptionError('strategy', `must be one of ${SIM_STRATEGIES.join(', ')}`);
  fraction(o, 'rate', 0, 1);
  if (typeof o.seed !== 'string' || o.seed.length === 0) throw new SimOptionError('seed', 'must be a non-empty string');
  intIn(o, 'k', 1, 1_000);
  fraction(o, 'catchRate', 0, 1);
  fraction(o, 'strikeAt', 0, 1);
  fraction(o, 'auditShare', 0, 1);
  intIn(o, 'windowSeconds', 1, 10_000_000);
  intIn(o, 'taskIntervalSeconds', 1, 10_000_000);
  intIn(o, 'maxExtensions', 0, 100);
  if (!TALLY_RULES.includes(o.tally)) throw new SimOptionError('tally', `must be one of ${TALLY_RULES.join(', ')}`);
  intIn(o, 'maxStakeMultiple', 1, 1_000);
  intIn(o, 'submitterShareBps', 0, 10_000);
  if (typeof o.minStake !== 'bigint' || o.minStake <= 0n) throw new SimOptionError('minStake', 'must be a positive integer');
  if (typeof o.fee !== 'bigint' || o.fee <= 0n) throw new SimOptionError('fee', 'must be a positive integer');
  return o;
}

function intIn(o: SimOptions, field: keyof SimOptions, lo: number, hi: number): void {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new SimOptionError(field, `must be an integer in ${lo}..${hi}`);
}

function fraction(o: SimOptions, field: keyof SimOptions, lo: number, hi: number): void {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
    throw new SimOptionError(field, `must be a number in [${lo}, ${hi}]`);
}
