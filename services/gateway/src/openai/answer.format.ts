import type { ModelTokenizer } from '@aegis/model/tokenizer';
import type { RequestPlan } from './request.plan';
import type { AegisFacts } from './task.runner';

export type FinishReason = 'stop' | 'length';

export interface Answer {
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Output tokens the client is charged for (all the node made, stop sequence included). */
  readonly completionTokens: number;
}

/**
 * The answer text of accepted tokens: decoded with the model's tokenizer and cut before the
 * first stop sequence. finish_reason is "length" when the node ran to max_tokens without
 * stopping, "stop" otherwise (end of turn, a stop token, or a stop sequence).
 */
export function answerOf(plan: RequestPlan, tokens: readonly number[]): Answer {
  const text = plan.model.tokenizer.decode(tokens);
  const cut = firstStop(text, plan.stopStrings);
  const stoppedByToken = tokens.length > 0 && plan.spec.stopTokens.includes(tokens[tokens.length - 1] ?? -1);
  const finishReason: FinishReason = cut !== undefined || stoppedByToken || tokens.length < plan.spec.maxNewTokens ? 'stop' : 'length';
  return { text: cut === undefined ? text : text.slice(0, cut), finishReason, completionTokens: tokens.length };
}

function firstStop(text: string, stops: readonly string[]): number | undefined {
  let at: number | undefined;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at === undefined || i < at)) at = i;
  }
  return at;
}

/**
 * Text pieces of a token sequence, one per token, for streaming: each piece is what the token
 * adds to the decoded text (a token that ends inside a multi-byte character adds nothing until
 * the character is whole), stopping before a stop sequence.
 */
export function streamPieces(tokenizer: ModelTokenizer, tokens: readonly number[], finalText: string): string[] {
  const pieces: string[] = [];
  let emitted = 0;
  for (let i = 1; i <= tokens.length && emitted < finalText.length; i++) {
    const prefix = tokenizer.decode(tokens.slice(0, i));
    if (prefix.endsWith('\ufffd')) continue;
    const upto = Math.min(prefix.length, finalText.length);
    if (upto > emitted) {
      pieces.push(finalText.slice(emitted, upto));
      emitted = upto;
    }
  }
  if (emitted < finalText.length) pieces.push(finalText.slice(emitted));
  return pieces;
}

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export function usageOf(plan: RequestPlan, answer: Answer): Usage {
  const prompt = plan.spec.promptTokens.length;
  return { prompt_tokens: prompt, completion_tokens: answer.completionTokens, total_tokens: prompt + answer.completionTokens };
}

/** The id of a response: OpenAI's prefix and the task hash, so the two can be matched. */
export function responseId(plan: RequestPlan, taskHash: string): string {
  return `${plan.kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${taskHash.slice(2, 34)}`;
}

export function chatCompletion(plan: RequestPlan, facts: AegisFacts, answer: Answer, created: number): object {
  return {
    id: responseId(plan, facts.taskHash),
    object: 'chat.completion',
    created,
    model: plan.model.id,
    system_fingerprint: null,
    choices: [
      { index: 0, message: { role: 'assistant', content: answer.text, refusal: null }, logprobs: null, finish_reason: answer.finishReason },
    ],
    usage: usageOf(plan, answer),
    aegis: facts,
  };
}

export function textCompletion(plan: RequestPlan, facts: AegisFacts, answer: Answer, created: number): object {
  return {
    id: responseId(plan, facts.taskHash),
    object: 'text_completion',
    created,
    model: plan.model.id,
    system_fingerprint: null,
    choices: [{ index: 0, text: answer.text, logprobs: null, finish_reason: answer.finishReason }],
    usage: usageOf(plan, answer),
    aegis: facts,
  };
}

/** One streamed chunk (chat.completion.chunk, or a text_completion chunk for /v1/completions). */
export function chunk(
  plan: RequestPlan,
  id: string,
  created: number,
  piece: { role?: 'assistant'; content?: string } | null,
  finishReason: FinishReason | null,
  extra: object = {},
): object {
  if (plan.kind === 'chat') {
    const choices =
      piece === null && finishReason === null ? [] : [{ index: 0, delta: piece ?? {}, logprobs: null, finish_reason: finishReason }];
    return { id, object: 'chat.completion.chunk', created, model: plan.model.id, system_fingerprint: null, choices, ...extra };
  }
  const choices =
    piece === null && finishReason === null ? [] : [{ index: 0, text: piece?.content ?? '', logprobs: null, finish_reason: finishReason }];
  return { id, object: 'text_completion', created, model: plan.model.id, choices, ...extra };
}
