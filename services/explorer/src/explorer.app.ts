import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger } from '@aegis/service-kit';
import type { Logger } from 'pino';
import type { ExplorerConfig } from './explorer.config';
import { HtmlErrorFilter } from './explorer.errors';
import { ExplorerModule } from './explorer.module';
import { ExplorerRepository } from './explorer.repository';
import { TokenizerCatalog } from './explorer.text';

export interface RunningExplorer {
  /** http://host:port/ as a browser on this machine reaches it. */
  readonly url: string;
  readonly port: number;
  /** Stops taking requests, ends the event streams, then closes the database pool. Idempotent. */
  close(): Promise<void>;
}

/**
 * The explorer from its config: a NestJS app on Express that renders pages with React on the
 * server and streams live counters as server-sent events, reading Postgres read-only. The one
 * factory behind the pod's main.ts and the devnet.
 */
export async function startExplorer(config: ExplorerConfig, parentLogger?: Logger): Promise<RunningExplorer> {
  const logger = parentLogger?.child({ service: 'explorer' }) ?? createLogger('explorer', config.logLevel);
  const tokenizers = TokenizerCatalog.fromDir(config.modelDir);
  const repository = new ExplorerRepository(config.databaseUrl, config.minStake);
  // forceCloseConnections: an open event stream would otherwise hold close() forever.
  const app = await NestFactory.create(ExplorerModule.forRoot(repository, tokenizers, config.refreshMs), {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    forceCloseConnections: true,
  });
  try {
    app.useGlobalFilters(new HtmlErrorFilter(logger));
    (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
    await app.listen(config.port, config.host);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = (app.getHttpServer() as Server).address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${shownHost}:${port}/`;
  logger.info({ url }, 'explorer started');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => (closing ??= app.close()),
  };
}
