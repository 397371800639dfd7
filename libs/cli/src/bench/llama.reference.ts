/**
 * llama.cpp, through node-llama-cpp (pinned 3.21.1, a dev dependency), as the reference the real
 * model is measured against: the same GGUF, its own tokenizer, logits and decode loop. Loaded
 * lazily and only by the measuring commands; nothing the network runs depends on it.
 */
import type { ControlledEvaluateInputItem, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';

/**
 * node-llama-cpp is ESM with top-level await, so a CommonJS require() (what the CLI's compiled
 * `import()` becomes) cannot load it: the CLI imports it through a function the compiler leaves
 * alone. Inside vitest's module runner that native import has no loader, and the module's own
 * import() (which vitest transforms) is the one that works.
 */
async function importNodeLlamaCpp(): Promise<typeof import('node-llama-cpp')> {
  const nativeImport = new Function('specifier', 'return import(specifier)') as (
    specifier: string,
  ) => Promise<typeof import('node-llama-cpp')>;
  try {
    return await nativeImport('node-llama-cpp');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw e;
    return import('node-llama-cpp');
  }
}

export interface NextTokenProbabilities {
  /** The most likely next token. */
  top: number;
  /** Probability of each token the caller asked about (the true next token, for perplexity). */
  of(token: number): number;
}

export class LlamaReference {
  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    readonly threads: number,
  ) {}

  static async open(gguf: string, options: { threads: number; contextSize?: number }): Promise<LlamaReference> {
    let lib: typeof import('node-llama-cpp');
    try {
      lib = await importNodeLlamaCpp();
    } catch (e) {
      throw new Error(
        `node-llama-cpp is not installed (it is a dev dependency: run npm ci): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // CPU build from the registry's prebuilt binaries; never compile, never download.
    const llama = await lib.getLlama({ gpu: false, build: 'never', logLevel: lib.LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: gguf });
    const context = await model.createContext({ threads: options.threads, contextSize: options.contextSize ?? 2048, batchSize: 512 });
    return new LlamaReference(llama, model, context, options.threads);
  }

  /** Plain text to ids: special-token text stays text, no BOS (as the GGUF's add_bos_token says). */
  tokenize(text: string): number[] {
    return this.model.tokenize(text, false).map(Number);
  }

  /**
   * Teacher-forced next-token probabilities at each of `tokens`' positions (the raw softmax,
   * temperature 1), in one fresh sequence.
   */
  async teacherForced(tokens: readonly number[]): Promise<NextTokenProbabilities[]> {
    const sequence = this.context.getSequence();
    try {
      // node-llama-cpp's defaults are top-k 40 and top-p 0.95: turn both off for the raw distribution.
      const raw = { temperature: 1, topK: 0, topP: 1, minP: 0 };
      const out = await sequence.controlledEvaluate(
        tokens.map((t) => [t as Token, { generateNext: { probabilities: true, options: raw } }]),
      );
      return tokens.map((_, i) => {
        const probs = out[i]?.next.probabilities;
        if (probs === undefined) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
        const first = probs.keys().next();
        if (first.done === true) throw new Error(`llama.cpp returned an empty distribution at position ${i}`);
        return { top: Number(first.value), of: (t: number) => probs.get(t as Token) ?? 0 };
      });
    } finally {
      await sequence.dispose();
    }
  }

  /**
   * Greedy generation of exactly `newTokens` tokens after `prompt` (end-of-turn ignored so both
   * engines do the same work); times prefill and decode separately.
   */
  async greedy(prompt: readonly number[], newTokens: number): Promise<{ tokens: number[]; prefillMs: number; decodeMs: number }> {
    const sequence: LlamaContextSequence = this.context.getSequence();
    try {
      const tokens: number[] = [];
      const t0 = performance.now();
      let next = await this.evaluateOne(sequence, prompt);
      const t1 = performance.now();
      tokens.push(next);
      while (tokens.length < newTokens) {
        next = await this.evaluateOne(sequence, [next]);
        tokens.push(next);
      }
      return { tokens, prefillMs: t1 - t0, decodeMs: performance.now() - t1 };
    } finally {
      await sequence.dispose();
    }
  }

  private async evaluateOne(sequence: LlamaContextSequence, input: readonly number[]): Promise<number> {
    const items: ControlledEvaluateInputItem[] = input.map((t, i) =>
      i === input.length - 1 ? [t as Token, { generateNext: { token: true, options: { temperature: 0 } } }] : (t as Token),
    );
    const out = await sequence.controlledEvaluate(items);
    const token = out[input.length - 1]?.next.token;
    if (token === undefined || token === null) throw new Error('llama.cpp generated no token');
    return Number(token);
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
