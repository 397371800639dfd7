import type { IncomingMessage, ServerResponse } from 'node:http';
import { asOpenAiError, OpenAiError, tooLarge } from './openai.errors';

/**
 * The request body as JSON, read here rather than by a body-parser middleware so that a body
 * over the limit is a 413 and bad JSON a 400, both in OpenAI's error shape.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit)
    throw tooLarge(null, `the request body is ${declared} bytes, at most ${limit} are accepted`, 'request_too_large');
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > limit) throw tooLarge(null, `the request body is over ${limit} bytes`, 'request_too_large');
    parts.push(part);
  }
  const text = Buffer.concat(parts).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new OpenAiError(
      400,
      'invalid_request_error',
      `the request body is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
      null,
      'invalid_json',
    );
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = asOpenAiError(err);
  if (res.headersSent) {
    // Mid-stream: OpenAI's SDKs raise an `error` event as an APIError.
    if (!res.writableEnded) res.end(`data: ${JSON.stringify(e.body())}\n\n`);
    return;
  }
  if (e.status === 429) res.setHeader('retry-after', '1');
  sendJson(res, e.status, e.body());
}

/** Server-sent events as OpenAI streams them: `data: <json>` per chunk, `data: [DONE]` last. */
export class EventStream {
  constructor(private readonly res: ServerResponse) {}

  /** The headers, sent with the first events (one write, not two). */
  open(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
  }

  send(data: object): void {
    if (!this.res.writableEnded) this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Several events in one write (the tokens of a result arrive together: one packet, not one per token). */
  sendAll(data: readonly object[]): void {
    if (data.length > 0 && !this.res.writableEnded) this.res.write(data.map((d) => `data: ${JSON.stringify(d)}\n\n`).join(''));
  }

  /** The last events and [DONE], in the response's last write. */
  done(last: readonly object[] = []): void {
    if (!this.res.writableEnded) this.res.end(`${last.map((d) => `data: ${JSON.stringify(d)}\n\n`).join('')}data: [DONE]\n\n`);
  }
}
