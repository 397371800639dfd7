import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import { SERVICE_LOGGER } from '@aegis/service-kit';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../gateway.config';
import { GatewayMetrics } from '../gateway.metrics';
import { API_KEY_AUTH, GATEWAY_CONFIG, SERVED_MODELS, TASK_RUNNER } from '../gateway.tokens';
import type { ApiKeyAuth } from '../keys/api-key.auth';
import { answerOf, chatCompletion, chunk, responseId, streamPieces, textCompletion, usageOf } from './answer.format';
import { EventStream, readJson, sendError, sendJson } from './http.io';
import { OpenAiError } from './openai.errors';
import { chatRequestSchema, completionRequestSchema, parseBody } from './openai.schemas';
import { planChat, planCompletion, type RequestPlan } from './request.plan';
import type { ServedModels } from './served.models';
import type { AegisFacts, TaskRunner } from './task.runner';

/** A final status other than ACCEPTED: no verified answer to give. */
function notAccepted(facts: AegisFacts): OpenAiError {
  const why = facts.history.at(-1)?.detail ?? '';
  return new OpenAiError(
    502,
    'verification_error',
    `task ${facts.taskHash} ended ${facts.status}${why ? ` (${why})` : ''}: no verified answer; the fee is not refunded`,
    null,
    `task_${facts.status.toLowerCase()}`,
    { aegis: facts },
  );
}

/**
 * The OpenAI-compatible routes. Handlers write the response themselves (node http objects):
 * a stream is written as it goes, and every error leaves in OpenAI's shape (http.io.ts).
 */
@Controller('v1')
export class OpenAiController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVED_MODELS) private readonly models: ServedModels,
    @Inject(API_KEY_AUTH) private readonly auth: ApiKeyAuth,
    @Inject(TASK_RUNNER) private readonly runner: TaskRunner,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  @Get('models')
  async listModels(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    try {
      await this.auth.authenticate(req.headers.authorization);
      sendJson(res, 200, {
        object: 'list',
        data: this.models.ids().map((id) => ({ id, object: 'model', created: this.models.created, owned_by: 'aegis' })),
      });
    } catch (err) {
      sendError(res, err);
    }
  }

  @Get('models/:id')
  async getModel(@Req() req: IncomingMessage & { params?: Record<string, string> }, @Res() res: ServerResponse): Promise<void> {
    try {
      await this.auth.authenticate(req.headers.authorization);
      const id = req.params?.['id'] ?? '';
      if (!this.models.get(id))
        throw new OpenAiError(
          404,
          'not_found_error',
          `The model '${id}' does not exist or is not served here (served: ${this.models.ids().join(', ')})`,
          'model',
          'model_not_found',
        );
      sendJson(res, 200, { id, object: 'model', created: this.models.created, owned_by: 'aegis' });
    } catch (err) {
      sendError(res, err);
    }
  }

  @Post('chat/completions')
  chat(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.complete('chat', req, res, (body) => planChat(parseBody(chatRequestSchema, body), this.models, this.config));
  }

  @Post('completions')
  completions(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.complete('completions', req, res, (body) =>
      planCompletion(parseBody(completionRequestSchema, body), this.models, this.config),
    );
  }

  private async complete(route: string, req: IncomingMessage, res: ServerResponse, plan: (body: unknown) => RequestPlan): Promise<void> {
    const abort = new AbortController();
    const started = performance.now();
    let stream = false;
    res.on('close', () => {
      abort.abort();
      const labels = { route, stream: String(stream) };
      this.metrics.requests.inc({ ...labels, status: String(res.statusCode) });
      this.metrics.seconds.observe(labels, (performance.now() - started) / 1000);
    });
    try {
      const caller = await this.auth.authenticate(req.headers.authorization);
      const p = plan(await readJson(req, this.config.maxBodyBytes));
      const created = Math.floor(Date.now() / 1000);
      stream = p.stream;
      if (p.stream) return await this.stream(p, caller.key, created, res, abort.signal, started);
      const outcome = await this.runner.run(p, caller.key, { signal: abort.signal });
      this.logger.debug(
        { keyId: caller.keyId, user: p.user, taskHash: outcome.facts.taskHash, status: outcome.facts.status },
        'completion',
      );
      if (outcome.facts.status !== 'ACCEPTED') throw notAccepted(outcome.facts);
      const answer = answerOf(p, outcome.tokens);
      sendJson(
        res,
        200,
        p.kind === 'chat' ? chatCompletion(p, outcome.facts, answer, created) : textCompletion(p, outcome.facts, answer, created),
      );
    } catch (err) {
      if (abort.signal.aborted) return;
      if (!(err instanceof OpenAiError))
        this.logger.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'completion failed');
      sendError(res, err);
    }
  }

  /**
   * `stream: true`: the role chunk and the node's tokens as soon as its result is SUBMITTED,
   * before verification (the protocol has no per-token feed from the worker); then a last chunk
   * with finish_reason and the verification facts (`aegis`), a usage chunk when asked, and
   * [DONE]. Nothing is sent before the first content, so a task that fails or is rejected before
   * it is still a plain HTTP error; one rejected after its tokens were streamed ends the stream
   * with an error event instead (the client must drop what it showed). Two writes per request:
   * every event a moment produces goes out together.
   */
  private async stream(
    p: RequestPlan,
    key: Parameters<TaskRunner['run']>[1],
    created: number,
    res: ServerResponse,
    signal: AbortSignal,
    started: number,
  ): Promise<void> {
    const events = new EventStream(res);
    const firstContent = (): void => this.metrics.firstTokenSeconds.observe((performance.now() - started) / 1000);
    let chunkId = '';
    let streamed: readonly number[] | undefined;
    const opening = (tokens: readonly number[]): object[] => {
      const answer = answerOf(p, tokens);
      return [
        chunk(p, chunkId, created, p.kind === 'chat' ? { role: 'assistant', content: '' } : { content: '' }, null),
        ...streamPieces(p.model.tokenizer, tokens, answer.text).map((piece) => chunk(p, chunkId, created, { content: piece }, null)),
      ];
    };
    const outcome = await this.runner.run(p, key, {
      signal,
      onSubmitted: (taskHash) => {
        chunkId = responseId(p, taskHash);
      },
      onUpdate: (update, tokens) => {
        if (update.status !== 'SUBMITTED' || tokens.length === 0 || streamed !== undefined) return;
        streamed = tokens;
        events.open();
        events.sendAll(opening(tokens));
        firstContent();
      },
    });
    if (outcome.facts.status !== 'ACCEPTED') throw notAccepted(outcome.facts);
    let first: object[] = [];
    if (streamed === undefined) {
      events.open();
      first = opening(outcome.tokens);
      firstContent();
    } else if (!sameTokens(streamed, outcome.tokens)) {
      throw new OpenAiError(
        502,
        'verification_error',
        `task ${outcome.facts.taskHash}: the accepted output differs from the streamed one`,
        null,
        'stream_mismatch',
        { aegis: outcome.facts },
      );
    }
    const answer = answerOf(p, outcome.tokens);
    events.done([
      ...first,
      chunk(p, chunkId, created, {}, answer.finishReason, { aegis: outcome.facts }),
      ...(p.includeUsage ? [chunk(p, chunkId, created, null, null, { usage: usageOf(p, answer) })] : []),
    ]);
  }
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}
