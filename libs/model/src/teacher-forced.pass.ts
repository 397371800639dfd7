import { type ProbePosition, type ProbeShape, quantize } from '@aegis/protocol';
import type { ModelRuntime } from './model.runtime';

/**
 * One forward pass over prompt + claimed tokens (all but the last, which the generator sampled
 * but never fed back): logits for every decode step and every layer's hidden state at every
 * consumed position. This is all a verifier needs: token checks, probe checks and PoW values.
 */
export class TeacherForcedPass {
  private constructor(
    private readonly logits: Float32Array,
    private readonly hiddenStates: Float32Array[],
    /** Offset of this row's first real position in the (possibly left-padded) batch row. */
    private readonly rowOffset: number,
    readonly promptLength: number,
    readonly steps: number,
    readonly vocab: number,
    readonly hidden: number,
    readonly q: number,
  ) {}

  /**
   * Runs the pass. `companions` are other sequences batched alongside (left-padded together),
   * as a verifier serving several checks at once would; they change nothing but float
   * summation order, which the tolerances absorb.
   */
  static async run(
    runtime: ModelRuntime,
    prompt: readonly number[],
    tokens: readonly number[],
    companions: readonly (readonly number[])[] = [],
  ): Promise<TeacherForcedPass> {
    const input = [...prompt, ...tokens.slice(0, -1)];
    const rows = [input, ...companions];
    const out = await runtime.runner.prefillNoCache(rows);
    const width = out.seq;
    const { vocab, hidden, layers } = runtime.runner.dims;
    // Row 0 is ours: take its slice of each output so indexes below are row-local.
    const logits = out.logits.subarray(0, width * vocab);
    const hiddenStates = out.hidden.slice(0, layers).map((h) => h.subarray(0, width * hidden));
    return new TeacherForcedPass(
      logits,
      hiddenStates,
      width - input.length,
      prompt.length,
      tokens.length,
      vocab,
      hidden,
      runtime.descriptor.probe.q,
    );
  }

  /** Number of consumed positions: the probe and PoW space. */
  get positions(): number {
    return this.promptLength + this.steps - 1;
  }

  shape(layers: number): ProbeShape {
    return { layers, positions: this.positions, hidden: this.hidden };
  }

  /** Logits that decided decode step t (t = 0 is the first generated token). */
  stepLogits(t: number): Float32Array {
    const row = this.rowOffset + this.promptLength - 1 + t;
    return this.logits.subarray(row * this.vocab, (row + 1) * this.vocab);
  }

  hiddenAt(layer: number, position: number, index: number): number {
    const h = this.hiddenStates[layer];
    if (h === undefined || position < 0 || position >= this.positions || index < 0 || index >= this.hidden) {
      throw new RangeError(`no hidden state at layer ${layer}, position ${position}, index ${index}`);
    }
    return h[(this.rowOffset + position) * this.hidden + index] as number;
  }

  /** Quantised value at one position: what a probe or a PoW read carries. */
  valueAt(p: ProbePosition): number {
    return quantize(this.hiddenAt(p.layer, p.position, p.index), this.q);
  }

  /** Quantised values at `positions`. */
  valuesAt(positions: readonly ProbePosition[]): number[] {
    return positions.map((p) => this.valueAt(p));
  }
}
