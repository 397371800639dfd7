import type { Command } from 'commander';
import { ensureRealModel, fetchModel, KNOWN_MODELS, SMOLLM2_MODEL_ID } from '@aegis/model';
import { benchLlm } from '../bench/llm.bench';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

/** `aegis bench llm`: the real model's ASLI generation and prefill against llama.cpp on the same GGUF. */
export const registerBenchLlmCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('llm')
    .description(
      'ASLI generation and prefill of the imported real model vs llama.cpp on the same GGUF (ABBA, one process), ASLI overhead and verification speedup',
    )
    .option('--model <id>', `fetchable model id (${Object.keys(KNOWN_MODELS).join(', ')})`, SMOLLM2_MODEL_ID)
    .option('--threads <n>', 'threads for both engines', intOption('--threads', 1, 256), 2)
    .option('--tokens <n>', 'new tokens per generation', intOption('--tokens', 2, 1024), 128)
    .option('--reps <n>', 'ABBA repetitions of the generation comparison', intOption('--reps', 1, 1000), 6)
    .option('--prefill-tokens <n>', 'prompt tokens of the prefill comparison', intOption('--prefill-tokens', 2, 2000), 256)
    .option('--asli-reps <n>', 'repetitions of the ASLI overhead / verification bench', intOption('--asli-reps', 1, 1000), 7)
    .option('--json', 'progress on stderr, the result as the last stdout line')
    .action(
      async (opts: {
        model: string;
        threads: number;
        tokens: number;
        reps: number;
        prefillTokens: number;
        asliReps: number;
        json?: boolean;
      }) => {
        const modelDir = await ensureRealModel(opts.model, { onProgress: progress });
        const { gguf } = await fetchModel(opts.model, { onProgress: progress });
        const report = await benchLlm({
          modelDir,
          gguf,
          threads: opts.threads,
          tokens: opts.tokens,
          repetitions: opts.reps,
          prefillTokens: opts.prefillTokens,
          asliRepetitions: opts.asliReps,
          onProgress: progress,
        });
        if (opts.json) printJsonResult(report);
        else process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      },
    );
};
