import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from 'pino';
import { createElement } from 'react';
import type { HttpResponse } from './http.response';
import { ErrorPage } from './views/pages';
import { renderPage } from './views/render';

/** Every error as a page: 400 and 404 with their message, anything else a 500 that is logged. */
@Catch()
export class HtmlErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<HttpResponse>();
    let status = 500;
    let message = 'Something went wrong reading the network; see the explorer log.';
    if (error instanceof HttpException) {
      status = error.getStatus();
      const body = error.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? error.message);
    } else {
      this.logger.error({ err: error instanceof Error ? (error.stack ?? error.message) : String(error) }, 'page failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res
      .status(status)
      .type('html')
      .send(renderPage(createElement(ErrorPage, { status, message })));
  }
}
