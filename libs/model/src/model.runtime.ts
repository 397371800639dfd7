import { enableFastKeccak, ProtocolError, type TaskSpec, validateTaskSpec } from '@aegis/protocol';
import { DecoderRunner, type RunnerOptions } from './decoder.runner';
import type { ModelDescriptor } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';
import { readModelDir } from './model.store';
import { loadTokenizer, type ModelTokenizer } from './model.tokenizer';

/** A loaded model: its descriptor, tokenizer and one onnxruntime session. */
export class ModelRuntime {
  private constructor(
    readonly descriptor: ModelDescriptor,
    readonly runner: DecoderRunner,
    private readonly textTokenizer: ModelTokenizer | null,
  ) {}

  /** Text to ids and back; a runtime opened from bytes alone has it only for the byte models. */
  get tokenizer(): ModelTokenizer {
    if (this.textTokenizer === null) {
      throw new ModelError(
        ModelErrorCode.InvalidOption,
        'tokenizer',
        `${this.descriptor.modelId} was opened from its ONNX bytes alone; open its folder for the tokenizer`,
      );
    }
    return this.textTokenizer;
  }

  /**
   * From ONNX bytes already checked against the descriptor (sha256) by the caller. A BPE model's
   * tokenizer lives in its folder: pass it (open() does); without it, generation and
   * verification work on token ids and only `tokenizer` refuses.
   */
  static async fromBytes(
    descriptor: ModelDescriptor,
    onnx: Uint8Array,
    options: RunnerOptions = {},
    tokenizer?: ModelTokenizer,
  ): Promise<ModelRuntime> {
    const tok = tokenizer ?? (descriptor.tokenizer.kind === 'byte' ? loadTokenizer(descriptor, null) : null);
    // Generation hashes once per token (U_t) and verification once per claimed token: take the
    // WebAssembly Keccak (same outputs, checked against the same vectors) before the hot loops.
    await enableFastKeccak();
    const runner = await DecoderRunner.create(onnx, descriptor, options);
    return new ModelRuntime(descriptor, runner, tok);
  }

  /** From a model folder (model.json + ONNX file); validates the descriptor, hash and graph. */
  static async open(dir: string, options: RunnerOptions = {}): Promise<ModelRuntime> {
    const files = readModelDir(dir);
    return ModelRuntime.fromBytes(files.descriptor, files.onnx, options, loadTokenizer(files.descriptor, files.dir));
  }

  /** Same model and descriptor, another session (other threads or provider): for calibration and audits. */
  async reopen(onnx: Uint8Array, options: RunnerOptions): Promise<ModelRuntime> {
    return ModelRuntime.fromBytes(this.descriptor, onnx, options, this.textTokenizer ?? undefined);
  }

  /** Fails with a ModelError naming the field when `task` cannot run on this model. */
  validateTask(task: TaskSpec): void {
    validateTaskFor(this.descriptor, task);
  }

  async release(): Promise<void> {
    await this.runner.release();
  }
}

/** The task checks of the protocol core, against this model's limits, as ModelErrors. */
export function validateTaskFor(d: ModelDescriptor, task: TaskSpec): void {
  if (task.modelId !== d.modelId) {
    throw new ModelError(
      ModelErrorCode.UnknownModel,
      'modelId',
      `task is for ${JSON.stringify(task.modelId)} but this node serves ${JSON.stringify(d.modelId)}`,
    );
  }
  try {
    validateTaskSpec(task, { vocabSize: d.vocabSize, contextLength: d.contextLength, maxNewTokensCap: d.contextLength - 1 });
  } catch (e) {
    if (e instanceof ProtocolError) throw new ModelError(ModelErrorCode.InvalidTask, e.field ?? 'task', e.message.replace(/^[^:]*: /, ''));
    throw e;
  }
}
