import { keccak256, NodeKey, type TaskSpec, toHex, utf8 } from '@aegis/protocol';
import type { ModelDescriptor } from './model.descriptor';
import { WeightPrng } from './weights.prng';

/** Bounds for random tasks in calibration, audits and benches. */
export interface TaskSamplerLimits {
  maxPrompt: number;
  maxNewTokens: number;
}

export const DEFAULT_SAMPLER_LIMITS: TaskSamplerLimits = { maxPrompt: 48, maxNewTokens: 32 };

/**
 * Seeded random tasks and node keys, so an audit or calibration run is reproducible from its
 * `--seed`. Covers greedy and sampled decoding, small and full top-K, with and without stops.
 */
export class TaskSampler {
  private readonly prng: WeightPrng;

  constructor(
    private readonly seed: string,
    private readonly descriptor: ModelDescriptor,
    private readonly limits: TaskSamplerLimits = DEFAULT_SAMPLER_LIMITS,
  ) {
    this.prng = new WeightPrng(seed, 'tasks');
  }

  int(lo: number, hi: number): number {
    return lo + (this.prng.nextUint32() % (hi - lo + 1));
  }

  /** BOS then either printable ASCII or arbitrary bytes. */
  prompt(length?: number): number[] {
    const n = length ?? this.int(1, this.limits.maxPrompt);
    const text = this.int(0, 2) > 0;
    const out = [this.descriptor.tokenizer.bos];
    for (let i = 1; i < n; i++) out.push(text ? this.int(32, 126) : this.int(0, 255));
    return out;
  }

  task(): TaskSpec {
    const d = this.descriptor;
    const greedy = this.int(0, 4) === 0;
    const topKChoice = this.int(0, 3);
    const topK = topKChoice === 0 ? 1 : topKChoice === 1 ? d.vocabSize : this.int(2, 64);
    const stopChoice = this.int(0, 2);
    const stopTokens = stopChoice === 0 ? [] : stopChoice === 1 ? [d.tokenizer.eos] : [d.tokenizer.eos, this.int(0, 255)];
    return {
      modelId: d.modelId,
      promptTokens: this.prompt(),
      maxNewTokens: this.int(1, this.limits.maxNewTokens),
      topK,
      temperatureMilli: greedy ? 0 : this.int(100, 1500),
      stopTokens: [...new Set(stopTokens)],
      nonce: BigInt(this.prng.nextUint32()) * 0x1_0000_0000n + BigInt(this.prng.nextUint32()),
    };
  }

  /** Node i's key, derived from the seed (never use such keys outside tests and audits). */
  key(i: number): NodeKey {
    return NodeKey.fromHex(toHex(keccak256(utf8(`aegis/audit-key/${this.seed}/${i}`))));
  }
}
