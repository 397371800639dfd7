import { ModelError, ModelErrorCode } from './model.errors';

/**
 * Byte-level tokenizer: UTF-8 bytes are ids 0-255, then BOS and EOS. Lossless for any text,
 * needs no vocabulary file, and gives the tiny model a real 258-way output.
 */
export class ByteTokenizer {
  constructor(
    readonly bos: number,
    readonly eos: number,
  ) {
    if (!Number.isInteger(bos) || bos < 256)
      throw new ModelError(ModelErrorCode.InvalidDescriptor, 'tokenizer.bos', 'must be an integer >= 256');
    if (!Number.isInteger(eos) || eos < 256 || eos === bos) {
      throw new ModelError(ModelErrorCode.InvalidDescriptor, 'tokenizer.eos', 'must be an integer >= 256, distinct from bos');
    }
  }

  get vocabSize(): number {
    return Math.max(this.bos, this.eos) + 1;
  }

  /** BOS followed by the UTF-8 bytes of `text`. */
  encode(text: string, withBos = true): number[] {
    const bytes = Array.from(Buffer.from(text, 'utf8'));
    return withBos ? [this.bos, ...bytes] : bytes;
  }

  /** Special tokens are dropped; invalid UTF-8 (a model may emit any bytes) becomes U+FFFD. */
  decode(tokens: readonly number[]): string {
    return Buffer.from(tokens.filter((t) => t >= 0 && t < 256)).toString('utf8');
  }
}
