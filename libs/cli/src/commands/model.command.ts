import type { Command } from 'commander';
import { buildModel, calibrate, defaultModelDir, readModelDir, TINY_MODEL_ID, writeDescriptor } from '@aegis/model';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { floatOption, intOption } from './option.parsers';

/** `aegis model build|calibrate`: the deterministic built-in model and its tolerances. */
export const registerModelCommand: RegisterCommand = (parent: Command) => {
  const model = parent.command('model').description('build the deterministic built-in model and calibrate its tolerances');

  model
    .command('build')
    .description('write the built-in ONNX decoder and its model.json (byte-identical on every run)')
    .option('--model <id>', 'built-in model id', TINY_MODEL_ID)
    .option('--out <dir>', 'output folder (default .cache/models/<id>)')
    .option('--json', 'print the result as one JSON line')
    .action((opts: { model: string; out?: string; json?: boolean }) => {
      const built = buildModel(opts.model, opts.out ?? defaultModelDir(opts.model));
      const summary = { modelId: built.descriptor.modelId, dir: built.dir, sha256: built.descriptor.sha256, bytes: built.bytes };
      if (opts.json) printJsonResult(summary);
      else process.stdout.write(`built ${summary.modelId} (${summary.bytes} bytes, sha256 ${summary.sha256}) in ${summary.dir}\n`);
    });

  model
    .command('calibrate')
    .description('measure honest deviations across threads, batch composition, sessions and KV-decode vs prefill; write tolerances into model.json')
    .option('--dir <dir>', 'model folder (default .cache/models/<id>)')
    .option('--model <id>', 'model id, for the default folder', TINY_MODEL_ID)
    .option('--tasks <n>', 'honest random tasks', intOption('--tasks', 1, 1_000_000), 200)
    .option('--seed <s>', 'task seed', 'aegis-calibrate')
    .option('--margin <x>', 'tolerance = margin x largest honest deviation (floors apply)', floatOption('--margin', 1, 1e6), 10)
    .option('--dry-run', 'measure only; leave model.json as it is')
    .option('--json', 'progress on stderr, the report as the last stdout line')
    .action(async (opts: { dir?: string; model: string; tasks: number; seed: string; margin: number; dryRun?: boolean; json?: boolean }) => {
      const dir = opts.dir ?? defaultModelDir(opts.model);
      const files = readModelDir(dir);
      const report = await calibrate(files.descriptor, files.onnx, { tasks: opts.tasks, seed: opts.seed, margin: opts.margin, onProgress: progress });
      if (report.honestRejected > 0) throw new Error(`${report.honestRejected} honest submissions still rejected; model.json left unchanged`);
      if (!opts.dryRun) writeDescriptor(dir, { ...files.descriptor, tolerance: report.tolerance });
      if (opts.json) printJsonResult({ ...report, written: !opts.dryRun });
      else process.stdout.write(`${JSON.stringify(report, null, 2)}\n${opts.dryRun ? 'dry run: not written' : `written to ${dir}`}\n`);
    });
};
