import type { Command } from 'commander';
import {
  benchAsli,
  DEFAULT_ASLI_BENCH,
  ensureBuiltModel,
  EXECUTION_PROVIDERS,
  type ExecutionProviderChoice,
  MODELS_DIR,
  BASE_MODEL_ID,
} from '@aegis/model';
import { InvalidArgumentError } from 'commander';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

function providerOption(value: string): ExecutionProviderChoice {
  const found = EXECUTION_PROVIDERS.find((p) => p === value);
  if (found === undefined) throw new InvalidArgumentError(`--provider must be one of ${EXECUTION_PROVIDERS.join(', ')}`);
  return found;
}

/** `aegis bench asli`: ASLI overhead over a plain greedy loop, and teacher-forced verify speedup (DESIGN 5). */
export const registerBenchAsliCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('asli')
    .description('ASLI generation vs a plain onnxruntime greedy loop, and teacher-forced verification vs generation')
    .option('--model <id>', 'built-in model id (built under .cache/models if missing)', BASE_MODEL_ID)
    .option('--models-dir <dir>', 'folder holding model folders', MODELS_DIR)
    .option('--tokens <n>', 'generated tokens per run', intOption('--tokens', 2, 4096), DEFAULT_ASLI_BENCH.tokens)
    .option('--reps <n>', 'interleaved repetitions (medians are reported)', intOption('--reps', 1, 10_000), DEFAULT_ASLI_BENCH.repetitions)
    .option('--threads <n>', 'onnxruntime intra-op threads', intOption('--threads', 1, 256), DEFAULT_ASLI_BENCH.threads)
    .option('--provider <ep>', 'execution provider: auto, cpu, cuda', providerOption, DEFAULT_ASLI_BENCH.executionProvider)
    .option('--json', 'progress on stderr, the result as the last stdout line')
    .action(
      async (opts: {
        model: string;
        modelsDir: string;
        tokens: number;
        reps: number;
        threads: number;
        provider: ExecutionProviderChoice;
        json?: boolean;
      }) => {
        const files = ensureBuiltModel(opts.model, opts.modelsDir);
        const report = await benchAsli(files.descriptor, files.onnx, {
          ...DEFAULT_ASLI_BENCH,
          tokens: opts.tokens,
          repetitions: opts.reps,
          threads: opts.threads,
          executionProvider: opts.provider,
          onProgress: progress,
        });
        const out = { ...report, modelId: files.descriptor.modelId };
        if (opts.json) printJsonResult(out);
        else process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      },
    );
};
