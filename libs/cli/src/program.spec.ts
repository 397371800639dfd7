import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { BENCH_COMMANDS, COMMANDS } from './commands';
import { buildProgram } from './program';

const names = (c: Command | undefined): string[] => (c?.commands ?? []).map((x) => x.name()).sort();
const bench = (p: Command): Command | undefined => p.commands.find((c) => c.name() === 'bench');

describe('buildProgram', () => {
  it('registers every command for help, no command, or a name it does not know', async () => {
    const all = [...COMMANDS.map((c) => c.name), 'bench'].sort();
    const benches = BENCH_COMMANDS.map((c) => c.name).sort();
    for (const argv of [
      ['node', 'aegis'],
      ['node', 'aegis', '--help'],
      ['node', 'aegis', 'devnt'],
    ]) {
      const program = await buildProgram(argv);
      expect(names(program)).toEqual(all);
      expect(names(bench(program))).toEqual(benches);
    }
  }, 60_000);

  it("loads only the named command's module (a benchmark's process holds only what it measures)", async () => {
    const asli = await buildProgram(['node', 'aegis', 'bench', 'asli', '--json']);
    expect(names(asli)).toEqual(['bench']);
    expect(names(bench(asli))).toEqual(['asli']);
    const model = await buildProgram(['node', 'aegis', 'model', 'build']);
    expect(names(model)).toEqual(['bench', 'model']);
    expect(names(bench(model))).toEqual([]);
  });
});
