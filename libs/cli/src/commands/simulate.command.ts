import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_COMMITTEE_SIZE, DEFAULT_MAX_EXTENSIONS, TALLY_RULES, type TallyRule } from '@aegis/consensus';
import {
  renderSweepMarkdown,
  renderSweepSummary,
  renderSweepSvg,
  runSimulation,
  runSweep,
  SIM_STRATEGIES,
  type SimOptions,
  type SweepData,
  sweepPoint,
  type SimResult,
  type SimStrategy,
  validateSimOptions,
} from '@aegis/sim';
import { enableFastKeccak } from '@aegis/protocol';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';

interface SimulateFlags {
  nodes: number;
  tasks: number;
  cheaters: number;
  strategy: SimStrategy;
  rate: number;
  seed: string;
  k: number;
  catchRate: number;
  windowSeconds: number;
  taskIntervalSeconds: number;
  maxExtensions: number;
  tally: TallyRule;
  auditShare?: number;
  sweep?: boolean;
  out: string;
  json?: boolean;
}

const FLAG_OF: Partial<Record<keyof SimOptions, string>> = {
  catchRate: '--catch-rate',
  windowSeconds: '--window-seconds',
  taskIntervalSeconds: '--task-interval-seconds',
  maxExtensions: '--max-extensions',
  auditShare: '--audit-share',
};

/** `aegis simulate`: a Monte Carlo of the protocol; `--sweep` plots attack success vs attacker share. */
export const registerSimulate: RegisterCommand = (parent: Command) => {
  parent
    .command('simulate')
    .description('Byzantine Monte Carlo of the protocol (real consensus code, in-memory ledger twin)')
    .option('--nodes <n>', 'node operators', integer('--nodes'), 300)
    .option('--tasks <n>', 'tasks to run', integer('--tasks'), 2000)
    .option('--cheaters <share>', 'attacker share of operators (0..0.99)', number('--cheaters'), 0.2)
    .addOption(new Option('--strategy <name>', 'what cheaters do').choices([...SIM_STRATEGIES]).default('wrong-results'))
    .option('--rate <p>', "probability that a cheater's own result is wrong", number('--rate'), 0.5)
    .option('--seed <s>', 'seed (a run is reproducible from it)', 'aegis')
    .option(
      '--k <n>',
      'expected verifiers per task (lottery k; the default bounds undisputed wrong results at 1e-3 per task at a third of the stake)',
      integer('--k'),
      DEFAULT_COMMITTEE_SIZE,
    )
    .option('--catch-rate <p>', 'probability an honest verifier detects a wrong result', number('--catch-rate'), 1)
    .option('--window-seconds <s>', 'tally window (simulated seconds)', integer('--window-seconds'), 3600)
    .option('--task-interval-seconds <s>', 'simulated seconds between tasks', integer('--task-interval-seconds'), 30)
    .option(
      '--max-extensions <n>',
      'undecided closes extended before the larger side decides',
      integer('--max-extensions'),
      DEFAULT_MAX_EXTENSIONS,
    )
    .addOption(
      new Option('--tally <rule>', 'tally rule: stake-weighted (default) or the spec as written')
        .choices([...TALLY_RULES])
        .default('stake'),
    )
    .option(
      '--audit-share <p>',
      "PoW checker's audit share outside disputes (default: its own rule at the fee and min stake, 0.2)",
      number('--audit-share'),
    )
    .option('--sweep', 'vary the attacker share 0.05..0.60 and write an SVG plot and a Markdown table to --out')
    .option('--out <dir>', 'output folder for --sweep', 'docs/sim')
    .option('--json', 'progress on stderr; the last stdout line is one JSON object')
    .action(async (flags: SimulateFlags) => {
      const options = toOptions(flags);
      // The lottery, the beacon links and the ledger's keys hash all the time: the WebAssembly
      // Keccak gives the same digests (protocol test vectors) about ten times faster.
      await enableFastKeccak();
      if (flags.sweep) return sweep(options, flags);
      const r = runSimulation(options, flags.json ? progress : undefined);
      if (flags.json) return printJsonResult(summary(r));
      process.stdout.write(`${describe(r)}\n`);
    });
};

/**
 * One tally's sweep: its points go to `<out>/<strategy>-<tally>-sweep.json`, and the plot and table
 * are redrawn from every tally's points found there, so running the sweep once per tally puts both
 * on one plot.
 */
function sweep(options: SimOptions, flags: SimulateFlags): void {
  const rows = runSweep(options, undefined, progress);
  const dir = resolve(flags.out);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${options.strategy}-sweep`);
  const command = `npx aegis simulate --sweep --strategy ${options.strategy} --tally ${options.tally} --nodes ${options.nodes} --tasks ${options.tasks} --k ${options.k} --rate ${options.rate} --audit-share ${options.auditShare} --seed ${options.seed}`;
  const data: SweepData = {
    strategy: options.strategy,
    tally: options.tally,
    command,
    points: rows.map((r) => sweepPoint(r.share, r.result)),
  };
  writeFileSync(join(dir, `${options.strategy}-${options.tally}-sweep.json`), `${JSON.stringify(data, null, 1)}\n`);
  const all = TALLY_RULES.flatMap((rule) =>
    rule === options.tally ? [data] : readSweep(join(dir, `${options.strategy}-${rule}-sweep.json`), options.strategy, rule),
  );
  writeFileSync(`${base}.svg`, renderSweepSvg(all));
  writeFileSync(`${base}.md`, renderSweepMarkdown(all));
  // The table over every strategy's sweeps in the folder, redrawn after each one.
  const everySweep = readdirSync(dir).flatMap((f) => {
    const m = /^(.+)-(stake|spec)-sweep\.json$/.exec(f);
    return m && (SIM_STRATEGIES as readonly string[]).includes(m[1] ?? '')
      ? readSweep(join(dir, f), m[1] as SimStrategy, m[2] as TallyRule)
      : [];
  });
  writeFileSync(join(dir, 'summary.md'), renderSweepSummary(everySweep));
  const result = { strategy: options.strategy, tally: options.tally, points: data.points, svg: `${base}.svg`, table: `${base}.md` };
  if (flags.json) return printJsonResult(result);
  process.stdout.write(`wrote ${base}.svg and ${base}.md\n`);
}

/** Another tally's earlier sweep of the same strategy, if one was written; a file that is not one is ignored with a warning. */
function readSweep(path: string, strategy: SimStrategy, tally: TallyRule): SweepData[] {
  if (!existsSync(path)) return [];
  try {
    const d = JSON.parse(readFileSync(path, 'utf8')) as Partial<SweepData>;
    if (d.strategy === strategy && d.tally === tally && Array.isArray(d.points)) return [d as SweepData];
  } catch {
    // fall through to the warning
  }
  progress(`simulate: ignoring ${path} (not a ${strategy} ${tally} sweep)`);
  return [];
}

/** The issue's JSON shape first, then the extra figures. */
function summary(r: SimResult): Record<string, unknown> {
  const {
    nodes,
    cheaters,
    cheatersLiquidated,
    honestSlashed,
    undecided,
    stakeConserved,
    verifierRewards,
    strategy,
    tasks,
    attackerProfit,
    ...rest
  } = r;
  return {
    nodes,
    cheaters,
    cheatersLiquidated,
    honestSlashed,
    undecided,
    stakeConserved,
    verifierRewards,
    strategy,
    tasks,
    attackerProfit,
    ...rest,
  };
}

function describe(r: SimResult): string {
  return [
    `strategy ${r.strategy}: ${r.nodes} addresses (${r.operators} operators), ${r.tasks} tasks, ${r.elapsedMs} ms`,
    `cheaters liquidated ${r.cheatersLiquidated}/${r.cheaters}, honest slashed ${r.honestSlashed}, undecided ${r.undecided}`,
    `wrong results finalised ${r.wrongFinalized}/${r.wrongSubmitted}, honest results rejected ${r.honestRejected}, disputes ${r.disputes}`,
    `attacker profit ${r.attackerProfit} on ${r.attackerStake} staked, stake conserved ${r.stakeConserved}, verifier rewards ${r.verifierRewards}; ledger: ${r.ledger}`,
  ].join('\n');
}

function toOptions(flags: SimulateFlags): SimOptions {
  try {
    return validateSimOptions({
      nodes: flags.nodes,
      tasks: flags.tasks,
      cheaters: flags.cheaters,
      strategy: flags.strategy,
      rate: flags.rate,
      seed: flags.seed,
      k: flags.k,
      catchRate: flags.catchRate,
      windowSeconds: flags.windowSeconds,
      taskIntervalSeconds: flags.taskIntervalSeconds,
      maxExtensions: flags.maxExtensions,
      tally: flags.tally,
      ...(flags.auditShare === undefined ? {} : { auditShare: flags.auditShare }),
    });
  } catch (e) {
    if (e instanceof Error && 'field' in e && typeof e.field === 'string') {
      const field = e.field as keyof SimOptions;
      throw new InvalidArgumentError(`${FLAG_OF[field] ?? `--${field}`}: ${e.message.slice(e.message.indexOf(':') + 2)}`);
    }
    throw e;
  }
}

function integer(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${flag} must be a non-negative integer`);
    return Number(v);
  };
}

function number(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number`);
    return n;
  };
}
