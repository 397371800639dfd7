import { Command } from 'commander';
import { COMMANDS, BENCH_COMMANDS } from './commands';

/** The `aegis` command tree. Each subcommand lives in its own file under commands/. */
export function buildProgram(): Command {
  const program = new Command('aegis')
    .description('Aegis PoS+W: verifiable, staked LLM inference')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  for (const register of COMMANDS) register(program);
  const bench = program.command('bench').description('benchmarks: each prints ours vs a baseline measured in the same run');
  for (const register of BENCH_COMMANDS) register(bench);
  return program;
}
