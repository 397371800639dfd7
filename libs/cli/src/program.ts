import { Command } from 'commander';
import { BENCH_COMMANDS, COMMANDS, type LazyCommand } from './commands';

/**
 * The modules to load for `argv`: only the named command's when one is named (`aegis devnet ...`,
 * `aegis bench asli ...`), every module otherwise (help, a typo, no command), so help lists all
 * and commander's "did you mean" still sees every name.
 */
function wanted(commands: readonly LazyCommand[], name: string | undefined): readonly LazyCommand[] {
  const hit = commands.filter((c) => c.name === name);
  return hit.length > 0 ? hit : commands;
}

/** The `aegis` command tree for `argv` (process.argv shape). Each subcommand lives in its own file under commands/. */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const [first, second] = argv.slice(2);
  const program = new Command('aegis')
    .description('Aegis PoS+W: verifiable, staked LLM inference')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  const bench = program.command('bench').description('benchmarks: each prints ours vs a baseline measured in the same run');
  const top = first === 'bench' ? [] : wanted(COMMANDS, first);
  const benches = first === 'bench' || top.length === COMMANDS.length ? wanted(BENCH_COMMANDS, first === 'bench' ? second : undefined) : [];
  for (const register of await Promise.all(top.map((c) => c.load()))) register(program);
  for (const register of await Promise.all(benches.map((c) => c.load()))) register(bench);
  return program;
}
