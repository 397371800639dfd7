import type { Command } from 'commander';
import {
  type AuditVariants,
  DEFAULT_AUDIT_OPTIONS,
  ensureBuiltModel,
  ensureRealModel,
  fetchModel,
  ggufAuditVariants,
  isKnownModel,
  type LoadedModelFiles,
  MODELS_DIR,
  readModelDir,
  runAudit,
  TINY_MODEL_ID,
} from '@aegis/model';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { floatOption, intOption } from './option.parsers';

/** `aegis audit`: honest runs never rejected, every tamper class caught, measured (DESIGN 5). */
export const registerAuditCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('audit')
    .description('run random honest and tampered tasks through generation and teacher-forced verification; report rejections and catches')
    .option('--tasks <n>', 'random tasks (each also yields one try per tamper class)', intOption('--tasks', 1, 1_000_000), 100)
    .option('--seed <s>', 'seed for prompts, parameters and keys', DEFAULT_AUDIT_OPTIONS.seed)
    .option(
      '--model <id>',
      'model id: built-in (built under .cache/models if missing) or fetchable (fetched and imported if missing)',
      TINY_MODEL_ID,
    )
    .option('--models-dir <dir>', 'folder holding model folders', MODELS_DIR)
    .option('--pow-bits <n>', 'PoW difficulty for the audit verdicts', intOption('--pow-bits', 0, 20), DEFAULT_AUDIT_OPTIONS.powBits)
    .option(
      '--perturbation <x>',
      'relative weight noise of the other-weights tamper',
      floatOption('--perturbation', 0, 1),
      DEFAULT_AUDIT_OPTIONS.perturbation,
    )
    .option('--json', 'progress on stderr, the report as the last stdout line')
    .action(
      async (opts: {
        tasks: number;
        seed: string;
        model: string;
        modelsDir: string;
        powBits: number;
        perturbation: number;
        json?: boolean;
      }) => {
        let files: LoadedModelFiles;
        let variants: AuditVariants | undefined;
        if (isKnownModel(opts.model)) {
          files = readModelDir(await ensureRealModel(opts.model, { onProgress: progress, modelsRoot: opts.modelsDir }));
          progress(`audit: building the tampered variants of ${opts.model} from its GGUF (Q4_0 requantised, int8, last block skipped)`);
          variants = await ggufAuditVariants((await fetchModel(opts.model, { onProgress: progress })).gguf, files.descriptor);
        } else {
          files = ensureBuiltModel(opts.model, opts.modelsDir);
        }
        const started = performance.now();
        const report = await runAudit(
          files.descriptor,
          files.onnx,
          {
            tasks: opts.tasks,
            seed: opts.seed,
            powBits: opts.powBits,
            perturbation: opts.perturbation,
            onProgress: progress,
          },
          variants,
        );
        const out = { ...report, seconds: Math.round(performance.now() - started) / 1000 };
        if (opts.json) printJsonResult(out);
        else process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        const missed = Object.values(report.tamper).some((t) => t.caught < t.tries);
        if (report.honest.rejected > 0 || report.honest.powAuditsFailed > 0 || missed) process.exitCode = 1;
      },
    );
};
