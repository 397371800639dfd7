import { readFileSync } from 'node:fs';
import type { ModelRuntime } from '@aegis/model';
import type { LlamaReference } from './llama.reference';
import { tokenizerTestStrings } from './tokenizer.strings';

/**
 * Real English text that ships in a registry package and is pinned by the lock file: the
 * TypeScript package's license (Apache-2.0), security policy and readme. Written by others, not
 * here, so neither engine was tuned on it.
 */
export const REFERENCE_TEXT_FILES = ['typescript/LICENSE.txt', 'typescript/SECURITY.md', 'typescript/README.md'];

export function referenceText(): string {
  return REFERENCE_TEXT_FILES.map((f) => readFileSync(require.resolve(f), 'utf8')).join('\n\n');
}

export interface TokenizerParity {
  strings: number;
  mismatches: number;
  /** The first few mismatches, for a human to look at. */
  examples: { text: string; aegis: number[]; llamaCpp: number[] }[];
}

export function compareTokenizers(ours: ModelRuntime, ref: LlamaReference, strings = tokenizerTestStrings()): TokenizerParity {
  const examples: TokenizerParity['examples'] = [];
  let mismatches = 0;
  for (const text of strings) {
    const a = ours.tokenizer.encode(text);
    const b = ref.tokenize(text);
    if (a.length !== b.length || a.some((t, i) => t !== b[i])) {
      mismatches++;
      if (examples.length < 5) examples.push({ text, aegis: a, llamaCpp: b });
    }
  }
  return { strings: strings.length, mismatches, examples };
}

export interface TeacherForcedComparison {
  positions: number;
  top1Agreement: number;
  perplexity: { aegis: number; llamaCpp: number };
}

/**
 * Both engines read the same token windows; at every position each predicts the next token.
 * Top-1 agreement: the share of positions where their most likely tokens are the same.
 * Perplexity: exp of the mean negative log-likelihood of the true next token.
 */
export async function compareTeacherForced(
  ours: ModelRuntime,
  ref: LlamaReference,
  tokens: readonly number[],
  window = 512,
): Promise<TeacherForcedComparison> {
  const vocab = ours.descriptor.vocabSize;
  let positions = 0;
  let agree = 0;
  let nllOurs = 0;
  let nllRef = 0;
  for (let start = 0; start + 1 < tokens.length; start += window) {
    const chunk = tokens.slice(start, start + window + 1);
    const input = chunk.slice(0, -1);
    const pass = await ours.runner.prefillNoCache([input]);
    const theirs = await ref.teacherForced(input);
    for (let i = 0; i < input.length; i++) {
      const next = chunk[i + 1] as number;
      const row = pass.logits.subarray(i * vocab, (i + 1) * vocab);
      let best = 0;
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) {
        const x = row[v] as number;
        if (x > max) {
          max = x;
          best = v;
        }
      }
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp((row[v] as number) - max);
      nllOurs -= (row[next] as number) - max - Math.log(sum);
      const t = theirs[i];
      if (t === undefined) throw new Error(`llama.cpp gave no prediction at position ${start + i}`);
      nllRef -= Math.log(Math.max(t.of(next), Number.MIN_VALUE));
      if (t.top === best) agree++;
      positions++;
    }
  }
  return {
    positions,
    top1Agreement: agree / positions,
    perplexity: { aegis: Math.exp(nllOurs / positions), llamaCpp: Math.exp(nllRef / positions) },
  };
}
