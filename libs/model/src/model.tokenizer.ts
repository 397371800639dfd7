import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { ByteTokenizer } from './byte.tokenizer';
import type { ModelDescriptor, PinnedFile } from './model.descriptor';
import { ModelError, ModelErrorCode } from './model.errors';

export type ChatRole = 'system' | 'user' | 'assistant';
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** Text to token ids and back, the same on every node and verifier of a model. */
export interface ModelTokenizer {
  readonly kind: 'byte' | 'bpe';
  readonly bos: number;
  /** The token that ends generation (end of turn for a chat model). */
  readonly eos: number;
  /**
   * Plain text to ids, with what the tokenizer's own config prepends (the byte tokenizer: BOS;
   * SmolLM's: nothing). Text that looks like a special token stays text.
   */
  encode(text: string): number[];
  /** Ids to text, special tokens dropped. */
  decode(ids: readonly number[]): string;
  /** The prompt a model answers `messages` from: the chat template rendered, ready for the assistant's turn. */
  chatPrompt(messages: readonly ChatMessage[]): number[];
}

/** The built-in models' byte tokenizer as a ModelTokenizer: a chat is its messages' text joined by newlines. */
class ByteModelTokenizer implements ModelTokenizer {
  readonly kind = 'byte';
  private readonly bytes: ByteTokenizer;

  constructor(bos: number, eos: number) {
    this.bytes = new ByteTokenizer(bos, eos);
  }

  get bos(): number {
    return this.bytes.bos;
  }

  get eos(): number {
    return this.bytes.eos;
  }

  encode(text: string): number[] {
    return this.bytes.encode(text);
  }

  decode(ids: readonly number[]): string {
    return this.bytes.decode(ids);
  }

  /** The byte models have no chat format: their prompt is the messages' UTF-8 bytes, no BOS (as `aegis submit` always sent). */
  chatPrompt(messages: readonly ChatMessage[]): number[] {
    return this.bytes.encode(messages.map((m) => m.content).join('\n'), false);
  }
}

/**
 * Marks where a message's content goes in the rendered template (private-use code points). The
 * template renders only slots, never content, so no user text can forge one.
 */
const SLOT = (i: number): string => `\ue000aegis-slot-${i}\ue001`;
const SLOT_PATTERN = /\ue000aegis-slot-(\d+)\ue001/g;

/**
 * Byte-level BPE (a Hugging Face tokenizer.json, run by tokenizers.js) with a Jinja chat template
 * (@huggingface/jinja). Special tokens count as special only where the template writes them:
 * message content is tokenized as text, so a user who types "<|im_end|>" cannot end their turn.
 */
export class BpeTokenizer implements ModelTokenizer {
  readonly kind = 'bpe';

  private constructor(
    /** Recognises special tokens (for the template's own text). */
    private readonly withSpecials: Tokenizer,
    /** Treats special-token text as text (for content). */
    private readonly textOnly: Tokenizer,
    private readonly template: Template,
    readonly bos: number,
    readonly eos: number,
    private readonly specialText: { bos: string; eos: string },
  ) {}

  static fromFiles(tokenizerJson: string, chatTemplate: string, bos: number, eos: number): BpeTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(tokenizerJson);
    } catch (e) {
      throw new ModelError(
        ModelErrorCode.InvalidDescriptor,
        'tokenizer.vocabulary',
        `is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    const withSpecials = new Tokenizer(json as object, {});
    // tokenizers.js matches added tokens in any text (its split_special_tokens option does not
    // stop it): the text-only twin is the same tokenizer without them.
    const textOnly = new Tokenizer({ ...(json as object), added_tokens: [] }, {});
    const bosText = withSpecials.id_to_token(bos);
    const eosText = withSpecials.id_to_token(eos);
    if (bosText === undefined)
      throw new ModelError(ModelErrorCode.InvalidDescriptor, 'tokenizer.bos', `id ${bos} is not in the vocabulary`);
    if (eosText === undefined)
      throw new ModelError(ModelErrorCode.InvalidDescriptor, 'tokenizer.eos', `id ${eos} is not in the vocabulary`);
    let template: Template;
    try {
      template = new Template(chatTemplate);
    } catch (e) {
      throw new ModelError(
        ModelErrorCode.InvalidDescriptor,
        'tokenizer.chatTemplate',
        `is not a valid Jinja template (${e instanceof Error ? e.message : String(e)})`,
      );
    }
    return new BpeTokenizer(withSpecials, textOnly, template, bos, eos, { bos: bosText, eos: eosText });
  }

  encode(text: string): number[] {
    return this.textOnly.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[]): string {
    // tokenizers.js refuses an empty list; no tokens is no text.
    if (ids.length === 0) return '';
    return this.withSpecials.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  /** The template rendered with the content of each message in a slot, so content is tokenized as text. */
  chatPrompt(messages: readonly ChatMessage[]): number[] {
    const rendered = this.template.render({
      messages: messages.map((m, i) => ({ role: m.role, content: SLOT(i) })),
      add_generation_prompt: true,
      bos_token: this.specialText.bos,
      eos_token: this.specialText.eos,
    });
    const ids: number[] = [];
    let at = 0;
    const seen = new Set<number>();
    for (const match of rendered.matchAll(SLOT_PATTERN)) {
      const i = Number(match[1]);
      const message = messages[i];
      if (message === undefined || seen.has(i))
        throw new ModelError(
          ModelErrorCode.InvalidDescriptor,
          'tokenizer.chatTemplate',
          'writes a message twice or one that does not exist',
        );
      seen.add(i);
      ids.push(...this.scaffold(rendered.slice(at, match.index)), ...this.encode(message.content));
      at = match.index + match[0].length;
    }
    if (seen.size !== messages.length)
      throw new ModelError(ModelErrorCode.InvalidDescriptor, 'tokenizer.chatTemplate', 'does not write every message content verbatim');
    ids.push(...this.scaffold(rendered.slice(at)));
    return ids;
  }

  private scaffold(text: string): number[] {
    return text.length === 0 ? [] : this.withSpecials.encode(text, { add_special_tokens: false }).ids;
  }
}

export function sha256File(path: string): { bytes: Buffer; sha256: string } {
  const bytes = readFileSync(path);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Reads a pinned file of a model folder, refusing one whose bytes are not the pinned ones. */
export function readPinned(dir: string, pin: PinnedFile, field: string): string {
  const path = join(dir, pin.file);
  let file: { bytes: Buffer; sha256: string };
  try {
    file = sha256File(path);
  } catch (e) {
    throw new ModelError(
      ModelErrorCode.ModelFileMismatch,
      `${field}.file`,
      `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  if (file.sha256 !== pin.sha256) {
    throw new ModelError(
      ModelErrorCode.ModelFileMismatch,
      `${field}.sha256`,
      `descriptor says ${pin.sha256} but ${pin.file} hashes to ${file.sha256}`,
    );
  }
  return file.bytes.toString('utf8');
}

/** The tokenizer a descriptor names; a BPE tokenizer's files are read from `dir` and checked against their pins. */
export function loadTokenizer(descriptor: ModelDescriptor, dir: string | null): ModelTokenizer {
  const t = descriptor.tokenizer;
  if (t.kind === 'byte') return new ByteModelTokenizer(t.bos, t.eos);
  if (dir === null) throw new ModelError(ModelErrorCode.InvalidDescriptor, 'tokenizer', 'a BPE tokenizer needs its model folder');
  return BpeTokenizer.fromFiles(
    readPinned(dir, t.vocabulary, 'tokenizer.vocabulary'),
    readPinned(dir, t.chatTemplate, 'tokenizer.chatTemplate'),
    t.bos,
    t.eos,
  );
}
