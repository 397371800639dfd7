import { z } from 'zod';
import { badParam, OpenAiError } from './openai.errors';

// The request bodies of POST /v1/chat/completions and /v1/completions. Every field OpenAI
// defines is named here: the ones the protocol can honour are validated and used, the others
// are accepted only at the value that means "off" (a clear 400 naming them otherwise, in
// requests.mapper.ts). Anything else is refused like OpenAI refuses it (strict objects).

const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional();

const stop = nullable(
  z.union([z.string().min(1, 'must not be empty'), z.array(z.string().min(1, 'must not be empty')).max(4, 'at most 4 stop sequences')]),
);

const sampling = {
  model: z.string().min(1, 'must name a model (GET /v1/models lists them)'),
  max_tokens: nullable(z.number().int('must be an integer').min(1, 'must be at least 1')),
  temperature: nullable(z.number().min(0, 'must be in [0, 2]').max(2, 'must be in [0, 2]')),
  top_p: nullable(z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]')),
  /** Not in OpenAI's API (vLLM and others accept it): the protocol samples top-K. */
  top_k: nullable(z.number().int('must be an integer').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000')),
  stop,
  stream: nullable(z.boolean()),
  stream_options: nullable(z.object({ include_usage: z.boolean().optional() }).strict()),
  user: nullable(z.string().max(256, 'at most 256 characters')),
  n: nullable(z.number().int('must be an integer')),
  seed: nullable(z.number().int('must be an integer').min(0, 'must be a non-negative integer').max(Number.MAX_SAFE_INTEGER, 'too large')),
  presence_penalty: nullable(z.number()),
  frequency_penalty: nullable(z.number()),
  logit_bias: nullable(z.record(z.string(), z.number())),
  logprobs: nullable(z.union([z.boolean(), z.number()])),
};

const contentPart = z.object({ type: z.literal('text'), text: z.string() }).strict();

const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant']),
    content: z.union([z.string(), z.array(contentPart).min(1, 'must not be empty')]),
    name: z.string().optional(),
  })
  .strict();

export const chatRequestSchema = z
  .object({
    ...sampling,
    messages: z.array(message).min(1, 'must hold at least one message'),
    max_completion_tokens: nullable(z.number().int('must be an integer').min(1, 'must be at least 1')),
    top_logprobs: nullable(z.number()),
    tools: nullable(z.array(z.unknown())),
    tool_choice: nullable(z.unknown()),
    parallel_tool_calls: nullable(z.boolean()),
    functions: nullable(z.array(z.unknown())),
    function_call: nullable(z.unknown()),
    response_format: nullable(z.object({ type: z.string() }).passthrough()),
    store: nullable(z.boolean()),
    metadata: nullable(z.record(z.string(), z.string())),
  })
  .strict();

export const completionRequestSchema = z
  .object({
    ...sampling,
    prompt: z.union([z.string().min(1, 'must not be empty'), z.array(z.string().min(1, 'must not be empty')).min(1, 'must not be empty')]),
    echo: nullable(z.boolean()),
    suffix: nullable(z.string()),
    best_of: nullable(z.number().int('must be an integer')),
  })
  .strict();

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

/** Parses a body against a schema; the first problem becomes a 400 naming its parameter (OpenAI's `param`). */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OpenAiError(400, 'invalid_request_error', 'the request body must be a JSON object', null, 'invalid_body');
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new OpenAiError(400, 'invalid_request_error', 'invalid request body', null, 'invalid_body');
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path.map(String), issue.keys[0] ?? ''].filter((p) => p !== '').join('.');
    throw badParam(key, 'unrecognized request argument', 'unknown_parameter');
  }
  const param = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
  if (param === '') throw new OpenAiError(400, 'invalid_request_error', issue.message, null, 'invalid_body');
  const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
  throw badParam(param, missing ? 'is required' : issue.message, missing ? 'missing_required_parameter' : 'invalid_value');
}
