import type { Command } from 'commander';
import { FAULT_KINDS, type FaultKind } from '../chaos/chaos.plan';
import { runChaos } from '../chaos/chaos.run';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

interface ChaosOpts {
  short?: boolean;
  repeat: number;
  seed?: number;
  rate: number;
  recoveryTimeout: number;
  settleTimeout: number;
  notReadyExit: number;
  only?: string;
  json?: boolean;
}

/**
 * `aegis chaos`: fault injection on the local Kafka and Postgres with every service its own
 * process (src/chaos/chaos.run.ts). The JSON's goals: tasksLost 0, duplicateEntries 0,
 * unpaidEscrows 0, ledgerInvariant true, for every fault. Exits 1 when a goal is missed.
 */
export const registerChaosCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('chaos')
    .description('kill, stop and freeze services, Kafka and Postgres under a steady task stream; report what was lost')
    .option('--short', 'four faults (kill -9, SIGTERM restart, broker and Postgres 5 s), one replica each: the CI run')
    .option('--repeat <n>', 'times each fault of the full plan is injected', intOption('--repeat', 1, 20), 1)
    .option('--seed <n>', 'the fault order and pauses (default: random, printed)', intOption('--seed', 0, 2 ** 31 - 1))
    .option('--rate <n>', 'new tasks per second', intOption('--rate', 1, 100), 1)
    .option('--recovery-timeout <s>', "seconds a fault's canary task may take to be final", intOption('--recovery-timeout', 10, 3600), 180)
    .option(
      '--settle-timeout <s>',
      'seconds after the last fault for every accepted task to be final',
      intOption('--settle-timeout', 10, 3600),
      240,
    )
    .option(
      '--not-ready-exit <s>',
      'AEGIS_NOT_READY_EXIT_SECONDS of every service (30 puts the readiness watchdog inside the 60 s outages)',
      intOption('--not-ready-exit', 0, 86_400),
      120,
    )
    .option('--only <kinds>', `only these fault kinds, comma-separated (${FAULT_KINDS.join(', ')})`)
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (opts: ChaosOpts) => {
      const only = (opts.only ?? '')
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k.length > 0);
      const unknown = only.find((k) => !(FAULT_KINDS as readonly string[]).includes(k));
      if (unknown !== undefined) throw new Error(`--only: ${JSON.stringify(unknown)} is not a fault kind (${FAULT_KINDS.join(', ')})`);
      const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
      progress(`chaos: seed ${seed}`);
      const report = await runChaos({
        short: opts.short ?? false,
        repeat: opts.repeat,
        seed,
        rate: opts.rate,
        recoveryTimeoutMs: opts.recoveryTimeout * 1000,
        settleTimeoutMs: opts.settleTimeout * 1000,
        notReadyExitSeconds: opts.notReadyExit,
        only: only as FaultKind[],
        progress,
      });
      if (opts.json) printJsonResult(report);
      else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      const met = report.tasksLost === 0 && report.duplicateEntries === 0 && report.unpaidEscrows === 0 && report.ledgerInvariant;
      if (!met) process.exitCode = 1;
    });
};
