import type { Command } from 'commander';
import { runSoak } from '../chaos/soak.run';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

interface SoakOpts {
  minutes: number;
  rate: number;
  interval: number;
  json?: boolean;
}

/** `aegis soak`: a steady task stream with no faults; memory, lag and latency over time (src/chaos/soak.run.ts). */
export const registerSoakCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('soak')
    .description('a steady task stream for N minutes: RSS per service at start and end, Kafka lag and p50/p99 latency per interval')
    .option('--minutes <n>', 'how long the stream runs', intOption('--minutes', 1, 24 * 60), 30)
    .option('--rate <n>', 'new tasks per second', intOption('--rate', 1, 100), 1)
    .option('--interval <s>', 'seconds per reported interval', intOption('--interval', 10, 3600), 60)
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (opts: SoakOpts) => {
      const report = await runSoak({
        minutes: opts.minutes,
        rate: opts.rate,
        intervalSeconds: opts.interval,
        settleTimeoutMs: 120_000,
        progress,
      });
      if (opts.json) printJsonResult(report);
      else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (report.tasksLost > 0) process.exitCode = 1;
    });
};
