import 'reflect-metadata';
import { enableFastKeccak } from '@aegis/protocol';
import { buildProgram } from './program';

// Simulations, audits and benchmarks all hash heavily: use the WebAssembly Keccak from the start.
enableFastKeccak()
  .then(() => buildProgram(process.argv))
  .then((program) => program.parseAsync(process.argv))
  .catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`aegis: ${message}\n`);
    process.exitCode = 1;
  });
