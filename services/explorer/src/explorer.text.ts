import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { decodeTopicMessage, TaskSpecSchema, TOPICS } from '@aegis/contracts';
import { DESCRIPTOR_FILE, loadTokenizer, parseDescriptorText, type ModelTokenizer } from '@aegis/model/tokenizer';

/** A task's spec as stored by ingress (protobuf TaskSpec bytes), in the page's terms. */
export interface DecodedSpec {
  readonly modelId: string;
  readonly promptTokens: number[];
  readonly maxNewTokens: number;
  readonly topK: number;
  readonly temperatureMilli: number;
  readonly stopTokens: number[];
  readonly nonce: string;
}

export function decodeSpec(bytes: Uint8Array): DecodedSpec | null {
  try {
    const s = fromBinary(TaskSpecSchema, bytes);
    return {
      modelId: s.modelId,
      promptTokens: [...s.promptTokens],
      maxNewTokens: s.maxNewTokens,
      topK: s.topK,
      temperatureMilli: s.temperatureMilli,
      stopTokens: [...s.stopTokens],
      nonce: s.nonce.toString(),
    };
  } catch {
    return null;
  }
}

/** The tokens of a stored Result message (the tallier keeps each as received), or null if undecodable. */
export function resultTokens(bytes: Uint8Array): number[] | null {
  try {
    return [...decodeTopicMessage(TOPICS.results, bytes).tokens];
  } catch {
    return null;
  }
}

/**
 * The tokenizers of the models in AEGIS_MODEL_DIR (one model folder, or a folder of them), by
 * model id: prompts and answers are token ids, shown as text when the model is known here.
 */
export class TokenizerCatalog {
  private constructor(private readonly byModel: ReadonlyMap<string, ModelTokenizer>) {}

  static empty(): TokenizerCatalog {
    return new TokenizerCatalog(new Map());
  }

  static fromDir(dir: string | undefined): TokenizerCatalog {
    if (dir === undefined) return TokenizerCatalog.empty();
    const folders = existsSync(join(dir, DESCRIPTOR_FILE))
      ? [dir]
      : readdirSync(dir, { withFileTypes: true })
          .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, DESCRIPTOR_FILE)))
          .map((d) => join(dir, d.name));
    const byModel = new Map<string, ModelTokenizer>();
    for (const folder of folders) {
      const descriptor = parseDescriptorText(readFileSync(join(folder, DESCRIPTOR_FILE), 'utf8'));
      byModel.set(descriptor.modelId, loadTokenizer(descriptor, folder));
    }
    return new TokenizerCatalog(byModel);
  }

  /** The text of `ids` under `modelId`'s tokenizer, or null when that model is not known here. */
  decode(modelId: string, ids: readonly number[]): string | null {
    const tokenizer = this.byModel.get(modelId);
    if (!tokenizer) return null;
    try {
      return tokenizer.decode(ids);
    } catch {
      return null;
    }
  }
}
