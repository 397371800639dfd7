import { randomBytes } from 'node:crypto';
import type { ChatMessage } from '@aegis/model/tokenizer';
import type { TaskSpec } from '@aegis/protocol';
import { badParam, tooLarge, unknownModel, unsupportedParam } from './openai.errors';
import type { ChatRequest, CompletionRequest } from './openai.schemas';
import type { ServedModel, ServedModels } from './served.models';

/** One request turned into what a task needs, plus what only the answer uses (stop strings, streaming). */
export interface RequestPlan {
  readonly kind: 'chat' | 'text';
  readonly model: ServedModel;
  /** The task without its nonce (chosen at submit time unless `seed` fixed it). */
  readonly spec: Omit<TaskSpec, 'nonce'>;
  readonly nonce: bigint | undefined;
  /** Stop sequences as text: the answer is cut before the first one (OpenAI's semantics). */
  readonly stopStrings: readonly string[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly user: string | undefined;
}

export interface PlanLimits {
  readonly maxPromptTokens: number;
  readonly defaultMaxTokens: number;
}

/** Default top-K when the request names none (what `aegis submit` uses). */
export const DEFAULT_TOP_K = 40;

type Common = ChatRequest | CompletionRequest;

/** The parameters OpenAI defines that the protocol cannot honour: accepted only at their "off" value. */
function refuseUnsupported(r: Common): void {
  if (r.top_p != null && r.top_p !== 1)
    throw unsupportedParam('top_p', 'nodes sample top-K over the temperature-scaled distribution; pass top_k, or top_p = 1');
  if (r.n != null && r.n !== 1) throw unsupportedParam('n', 'one choice per task; send n requests');
  if (r.presence_penalty != null && r.presence_penalty !== 0)
    throw unsupportedParam('presence_penalty', 'the verified sampler has no penalties');
  if (r.frequency_penalty != null && r.frequency_penalty !== 0)
    throw unsupportedParam('frequency_penalty', 'the verified sampler has no penalties');
  if (r.logit_bias != null && Object.keys(r.logit_bias).length > 0)
    throw unsupportedParam('logit_bias', 'the verified sampler has no logit bias');
  if (r.logprobs != null && r.logprobs !== false && r.logprobs !== 0)
    throw unsupportedParam('logprobs', 'results carry tokens, not their probabilities');
}

function refuseUnsupportedChat(r: ChatRequest): void {
  if (r.top_logprobs != null && r.top_logprobs !== 0)
    throw unsupportedParam('top_logprobs', 'results carry tokens, not their probabilities');
  if (r.tools != null && r.tools.length > 0) throw unsupportedParam('tools', 'no tool calling');
  if (r.tool_choice != null && r.tool_choice !== 'none') throw unsupportedParam('tool_choice', 'no tool calling');
  if (r.functions != null && r.functions.length > 0) throw unsupportedParam('functions', 'no function calling');
  if (r.function_call != null && r.function_call !== 'none') throw unsupportedParam('function_call', 'no function calling');
  if (r.response_format != null && r.response_format.type !== 'text') throw unsupportedParam('response_format', 'only {"type": "text"}');
}

function refuseUnsupportedText(r: CompletionRequest): void {
  if (r.echo === true) throw unsupportedParam('echo', 'the answer is the generated text only');
  if (r.suffix != null && r.suffix !== '') throw unsupportedParam('suffix', 'no insertion');
  if (r.best_of != null && r.best_of !== 1) throw unsupportedParam('best_of', 'one run per task');
  if (Array.isArray(r.prompt) && r.prompt.length > 1) throw unsupportedParam('prompt', 'one prompt per request');
}

function chatMessages(r: ChatRequest): ChatMessage[] {
  return r.messages.map((m) => ({
    // "developer" is the newer name of "system" (o1 and later).
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join(''),
  }));
}

function resolveModel(models: ServedModels, id: string): ServedModel {
  const model = models.get(id);
  if (!model) throw unknownModel(id, models.ids());
  return model;
}

function build(
  kind: 'chat' | 'text',
  r: Common,
  model: ServedModel,
  promptTokens: number[],
  promptParam: string,
  limits: PlanLimits,
  maxTokensParam: string,
  maxTokens: number | null | undefined,
): RequestPlan {
  const context = model.descriptor.contextLength;
  const promptCap = Math.min(limits.maxPromptTokens, context - 1);
  if (promptTokens.length === 0) throw badParam(promptParam, 'is empty once tokenised');
  if (promptTokens.length > promptCap) {
    throw tooLarge(
      promptParam,
      `${promptParam}: the prompt is ${promptTokens.length} tokens, at most ${promptCap} are accepted for ${model.id}`,
      'context_length_exceeded',
    );
  }
  const room = context - promptTokens.length;
  const maxNewTokens = maxTokens ?? Math.min(limits.defaultMaxTokens, room);
  if (maxNewTokens > room)
    throw badParam(
      maxTokensParam,
      `the prompt is ${promptTokens.length} tokens and ${model.id}'s context ${context}: at most ${room} new tokens`,
    );
  const tokenizer = model.tokenizer;
  const stopStrings = r.stop == null ? [] : typeof r.stop === 'string' ? [r.stop] : r.stop;
  // A stop sequence that is one token stops the node itself (fewer tokens to make and verify);
  // longer ones cut the decoded answer, so the task may run on past them.
  const stopTokens = new Set<number>(tokenizer.kind === 'bpe' ? [tokenizer.eos] : []);
  for (const s of stopStrings) {
    const ids = tokenizer.encode(s).filter((id) => id !== tokenizer.bos);
    if (ids.length === 1 && ids[0] !== undefined) stopTokens.add(ids[0]);
  }
  return {
    kind,
    model,
    spec: {
      modelId: model.id,
      promptTokens,
      maxNewTokens,
      topK: r.top_k ?? DEFAULT_TOP_K,
      // OpenAI's default temperature is 1; the protocol's unit is 1/1000.
      temperatureMilli: Math.round((r.temperature ?? 1) * 1000),
      stopTokens: [...stopTokens],
    },
    nonce: r.seed != null ? BigInt(r.seed) : undefined,
    stopStrings,
    stream: r.stream === true,
    includeUsage: r.stream_options?.include_usage === true,
    user: r.user ?? undefined,
  };
}

export function planChat(r: ChatRequest, models: ServedModels, limits: PlanLimits): RequestPlan {
  refuseUnsupported(r);
  refuseUnsupportedChat(r);
  if (r.max_tokens != null && r.max_completion_tokens != null && r.max_tokens !== r.max_completion_tokens) {
    throw badParam('max_completion_tokens', 'differs from max_tokens; pass one of them');
  }
  const model = resolveModel(models, r.model);
  const promptTokens = model.tokenizer.chatPrompt(chatMessages(r));
  const maxParam = r.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  return build('chat', r, model, promptTokens, 'messages', limits, maxParam, r.max_completion_tokens ?? r.max_tokens);
}

export function planCompletion(r: CompletionRequest, models: ServedModels, limits: PlanLimits): RequestPlan {
  refuseUnsupported(r);
  refuseUnsupportedText(r);
  const model = resolveModel(models, r.model);
  const prompt = typeof r.prompt === 'string' ? r.prompt : (r.prompt[0] ?? '');
  // Raw text, no chat template; the byte models' prompt has no BOS (as their chat prompt).
  const promptTokens =
    model.tokenizer.kind === 'byte' ? model.tokenizer.chatPrompt([{ role: 'user', content: prompt }]) : model.tokenizer.encode(prompt);
  return build('text', r, model, promptTokens, 'prompt', limits, 'max_tokens', r.max_tokens);
}

/** A fresh uint64 nonce: two identical requests are two tasks. */
export function randomNonce(): bigint {
  return randomBytes(8).readBigUInt64BE();
}
