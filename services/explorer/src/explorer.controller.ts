import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Controller, Get, Header, Inject, NotFoundException, Param, Query, Res, Sse, type MessageEvent } from '@nestjs/common';
import { createElement } from 'react';
import { distinctUntilChanged, from, map, type Observable, switchMap, timer } from 'rxjs';
import { EXPLORER_OPTIONS, type ExplorerOptions } from './explorer.constants';
import { ExplorerRepository } from './explorer.repository';
import { HexParamPipe, SearchTermPipe } from './explorer.params';
import { decodeSpec, resultTokens, TokenizerCatalog } from './explorer.text';
import type { HttpResponse } from './http.response';
import { TaskRows } from './views/components';
import { DisputePage, NodePage, OverviewPage, TaskPage } from './views/pages';
import { renderFragment, renderPage } from './views/render';

const HTML = 'text/html; charset=utf-8';

// The browser's few static files, read once: htmx from its npm package, the rest beside this file.
const STATIC: Record<string, { type: string; body: Buffer }> = {
  'htmx.min.js': { type: 'text/javascript', body: readFileSync(createRequire(__filename).resolve('htmx.org/dist/htmx.min.js')) },
  'live.js': { type: 'text/javascript', body: readFileSync(join(__dirname, 'static', 'live.js')) },
  'explorer.css': { type: 'text/css', body: readFileSync(join(__dirname, 'static', 'explorer.css')) },
};

@Controller()
export class ExplorerController {
  constructor(
    private readonly repository: ExplorerRepository,
    private readonly tokenizers: TokenizerCatalog,
    @Inject(EXPLORER_OPTIONS) private readonly options: ExplorerOptions,
  ) {}

  @Get()
  @Header('Content-Type', HTML)
  async overview(): Promise<string> {
    return renderPage(createElement(OverviewPage, { overview: await this.repository.overview() }));
  }

  /** The overview's task rows, re-read by htmx every few seconds. */
  @Get('fragments/recent-tasks')
  @Header('Content-Type', HTML)
  async recentTasks(): Promise<string> {
    return renderFragment(createElement(TaskRows, { tasks: await this.repository.recentTasksNow() }));
  }

  /** The live counters as server-sent events: one event whenever they change (checked every refreshMs). */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return timer(0, this.options.refreshMs).pipe(
      switchMap(() => from(this.repository.counters())),
      map((counters) => JSON.stringify(counters)),
      distinctUntilChanged(),
      map((data) => ({ data })),
    );
  }

  /** The counters once, as JSON (scripts and probes). */
  @Get('api/counters')
  counters(): Promise<object> {
    return this.repository.counters();
  }

  @Get('healthz')
  healthz(): { ok: true } {
    return { ok: true };
  }

  @Get('tasks/:hash')
  @Header('Content-Type', HTML)
  async task(@Param('hash', new HexParamPipe('task hash', 'hash')) hash: string): Promise<string> {
    const detail = await this.repository.task(hash);
    if (!detail) throw new NotFoundException(`no task ${hash}`);
    const spec = decodeSpec(detail.task.spec);
    const prompt = spec ? this.tokenizers.decode(detail.task.modelId, spec.promptTokens) : null;
    const answer = this.tokenizers.decode(detail.task.modelId, detail.task.outputTokens);
    // What each node answered, accepted or not (a rejected answer is what its dispute was about).
    const submitted = detail.submissions.map((s) => {
      const tokens = resultTokens(s.result) ?? [];
      return { submissionId: s.submissionId, tokens, text: this.tokenizers.decode(detail.task.modelId, tokens) };
    });
    return renderPage(createElement(TaskPage, { detail, spec, prompt, answer, submitted }));
  }

  @Get('nodes/:address')
  @Header('Content-Type', HTML)
  async node(@Param('address', new HexParamPipe('node address', 'address')) address: string): Promise<string> {
    const detail = await this.repository.node(address);
    if (!detail) throw new NotFoundException(`no node ${address}: it never staked, served or verified`);
    return renderPage(createElement(NodePage, { detail }));
  }

  @Get('disputes/:id')
  @Header('Content-Type', HTML)
  async dispute(@Param('id', new HexParamPipe('dispute id', 'hash')) id: string): Promise<string> {
    const detail = await this.repository.dispute(id);
    if (!detail) throw new NotFoundException(`no dispute ${id}`);
    return renderPage(createElement(DisputePage, { detail }));
  }

  /** A search redirects to the page of what it names (303), or answers 400 / 404. */
  @Get('search')
  async search(
    @Query('q', new SearchTermPipe()) term: string,
    @Res() res: HttpResponse & { redirect(status: number, url: string): void },
  ): Promise<void> {
    const hit = await this.repository.search(term);
    if (!hit) throw new NotFoundException(`nothing found for ${term}`);
    res.redirect(303, `/${hit.kind === 'task' ? 'tasks' : hit.kind === 'node' ? 'nodes' : 'disputes'}/${hit.id}`);
  }

  @Get('static/:file')
  asset(@Param('file') file: string, @Res() res: HttpResponse): void {
    const asset = Object.prototype.hasOwnProperty.call(STATIC, file) ? STATIC[file] : undefined;
    if (!asset) throw new NotFoundException(`no static file ${JSON.stringify(file.slice(0, 80))}`);
    res.status(200).type(asset.type).set('Cache-Control', 'public, max-age=300').send(asset.body);
  }
}
