import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DEVNET_OPTIONS, Devnet } from '@aegis/devnet';
import { TINY_MODEL_ID } from '@aegis/model';
import { NodeKey } from '@aegis/protocol';
import type { Command } from 'commander';
import { type ApiClient, runApiBench } from '../bench/api.bench';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';

interface ApiOpts {
  requests: number;
  concurrency: number;
  warmup: number;
  rounds: number;
  clients: number;
  maxTokens: number;
  windowSeconds: number;
  json?: boolean;
}

/**
 * `aegis bench api`: the OpenAI-compatible HTTP path (gateway, streaming) against direct gRPC
 * TaskIngress clients, on one embedded devnet with no-op inference (the control plane alone),
 * the same client accounts on both paths.
 */
export const registerBenchApiCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('api')
    .description('HTTP gateway (OpenAI API, streaming) vs direct gRPC: throughput, latency, time to first token, no-op inference')
    .option('--requests <n>', 'measured requests per path', intOption('--requests', 1, 1_000_000), 1200)
    .option('--concurrency <n>', 'requests in flight per path', intOption('--concurrency', 1, 4096), 128)
    .option('--warmup <n>', 'requests per path before the clock starts', intOption('--warmup', 0, 100_000), 200)
    .option(
      '--rounds <n>',
      'rounds of both paths, in alternating order (gRPC-HTTP, HTTP-gRPC, ...), each requests/rounds',
      intOption('--rounds', 1, 100),
      4,
    )
    .option(
      '--clients <n>',
      "client accounts (each an API key; one account's escrows serialise on the ledger)",
      intOption('--clients', 1, 256),
      8,
    )
    .option(
      '--max-tokens <n>',
      'max_tokens per request (the no-op worker echoes that many prompt tokens)',
      intOption('--max-tokens', 1, 64),
      8,
    )
    .option('--window-seconds <s>', 'tally window: a request is verified when its window closes', intOption('--window-seconds', 1, 60), 1)
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (opts: ApiOpts) => {
      const loadAtStart = Math.round((loadavg()[0] ?? 0) * 100) / 100;
      const devnet = await Devnet.start({
        ...DEFAULT_DEVNET_OPTIONS,
        model: TINY_MODEL_ID,
        nodes: 3,
        cheaters: 0,
        ingressPort: 0,
        ledgerPort: 0,
        gatewayPort: 0,
        windowSeconds: opts.windowSeconds,
        inference: 'noop',
        stateDir: mkdtempSync(join(tmpdir(), 'aegis-bench-api-')),
        logLevel: 'error',
        progress,
      });
      try {
        const clients: ApiClient[] = [];
        for (let i = 0; i < opts.clients; i++) {
          const key = NodeKey.generate();
          await devnet.fundClient(key);
          clients.push({ key, apiKey: (await devnet.gateway.createApiKey(`bench ${i}`, key)).secret });
        }
        const { http, grpc } = await runApiBench(devnet, clients, { ...opts, progress });
        const result = {
          requests: http.requests,
          concurrency: opts.concurrency,
          requestsPerSecond: http.requestsPerSecond,
          p50Ms: http.p50Ms,
          p99Ms: http.p99Ms,
          ttftP50Ms: http.ttftP50Ms,
          grpcRequestsPerSecond: grpc.requestsPerSecond,
          ratio: grpc.requestsPerSecond > 0 ? Math.round((http.requestsPerSecond / grpc.requestsPerSecond) * 1000) / 1000 : 0,
          breakdown: {
            http,
            grpc,
            setup: {
              network:
                'embedded devnet in this process (in-process bus, embedded Postgres), no-op inference, no verifiers: a result is ACCEPTED when its tally window closes',
              http: 'POST /v1/chat/completions stream:true over node:http keep-alive; ttft = first content chunk (sent at SUBMITTED); total = [DONE] after ACCEPTED',
              grpc: 'SubmitTask signed by the client + WatchTask to ACCEPTED; ttft = the SUBMITTED update carrying the tokens',
              windowSeconds: opts.windowSeconds,
              clients: opts.clients,
              rounds: opts.rounds,
              warmupPerPath: opts.warmup,
              maxTokens: opts.maxTokens,
              cores: availableParallelism(),
              loadAverage1mAtStart: loadAtStart,
            },
          },
        };
        if (opts.json) printJsonResult(result);
        else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } finally {
        await devnet.stop();
      }
    });
};
