import { Agent, request } from 'node:http';
import type { Devnet } from '@aegis/devnet';
import { type NodeKey, taskHash, type TaskSpec } from '@aegis/protocol';
import { IngressClient } from '@aegis/services/gateway';

/** One path's figures over its measured requests. */
export interface PathFigures {
  readonly requests: number;
  readonly failed: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Until the verified answer (HTTP: [DONE]; gRPC: the ACCEPTED update). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Until the first content (HTTP: the first content chunk; gRPC: the SUBMITTED update with tokens). */
  readonly ttftP50Ms: number;
  /**
   * CPU of this process (every service but Postgres, the client and the gateway) per request:
   * on a shared machine, what the path costs is steadier than what it reaches.
   */
  readonly cpuMsPerRequest: number;
}

interface Sample {
  readonly ok: boolean;
  readonly totalMs: number;
  readonly firstMs: number;
}

export interface ApiClient {
  readonly key: NodeKey;
  readonly apiKey: string;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function figures(samples: readonly Sample[], seconds: number, cpuMs: number): PathFigures {
  const ok = samples.filter((s) => s.ok);
  const total = ok.map((s) => s.totalMs).sort((a, b) => a - b);
  const first = ok.map((s) => s.firstMs).sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    requests: samples.length,
    failed: samples.length - ok.length,
    seconds: round(seconds),
    requestsPerSecond: round(ok.length / seconds),
    p50Ms: round(quantile(total, 0.5)),
    p99Ms: round(quantile(total, 0.99)),
    ttftP50Ms: round(quantile(first, 0.5)),
    cpuMsPerRequest: Math.round((cpuMs / Math.max(1, samples.length)) * 100) / 100,
  };
}

/** `count` calls of `one`, `concurrency` in flight, client i % clients each. */
async function drive(
  count: number,
  concurrency: number,
  one: (i: number) => Promise<Sample>,
): Promise<{ samples: Sample[]; seconds: number; cpuMs: number }> {
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) samples.push(await one(i));
    }),
  );
  const used = process.cpuUsage(cpu);
  return { samples, seconds: (performance.now() - started) / 1000, cpuMs: (used.user + used.system) / 1000 };
}

const PROMPT = 'Benchmark the API path';

/**
 * One streamed chat completion through the gateway, timed: first content chunk and [DONE].
 * node:http with a keep-alive pool (one socket per request in flight), as an HTTP client would.
 */
function httpOnce(agent: Agent, baseUrl: URL, client: ApiClient, model: string, maxTokens: number): Promise<Sample> {
  const started = performance.now();
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: PROMPT }], max_tokens: maxTokens, stream: true });
  return new Promise((resolve) => {
    const fail = (): void => resolve({ ok: false, totalMs: 0, firstMs: 0 });
    const req = request(
      {
        agent,
        host: baseUrl.hostname,
        port: baseUrl.port,
        path: `${baseUrl.pathname}/chat/completions`,
        method: 'POST',
        headers: {
          authorization: `Bearer ${client.apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          res.on('end', fail);
          return;
        }
        let firstMs = -1;
        let accepted = false;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (part: string) => {
          buffer += part;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, end).replace(/^data: /, '');
            buffer = buffer.slice(end + 2);
            if (event === '[DONE]') continue;
            // A client on its own machine parses every chunk; here the bench shares the network's
            // process, so it parses only the chunks it times (first content, the verification status).
            if (firstMs < 0 && /"content":"[^"]/.test(event)) firstMs = performance.now() - started;
            if (event.includes('"aegis"')) accepted = (JSON.parse(event) as { aegis?: { status: string } }).aegis?.status === 'ACCEPTED';
          }
        });
        res.on('end', () => resolve({ ok: accepted, totalMs: performance.now() - started, firstMs }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** The same task straight over TaskIngress: sign, SubmitTask, WatchTask to ACCEPTED (the tokens ride on it). */
async function grpcOnce(
  ingress: IngressClient,
  devnet: Devnet,
  client: ApiClient,
  model: string,
  maxTokens: number,
  nonce: bigint,
): Promise<Sample> {
  const started = performance.now();
  let firstMs = -1;
  try {
    const spec: TaskSpec = {
      modelId: model,
      promptTokens: devnet.tokenizer.chatPrompt([{ role: 'user', content: PROMPT }]),
      maxNewTokens: maxTokens,
      topK: 40,
      temperatureMilli: 1000,
      stopTokens: devnet.tokenizer.kind === 'bpe' ? [devnet.tokenizer.eos] : [],
      nonce,
    };
    const { taskHash: hash } = await ingress.submit(spec, client.key.address, client.key.sign(taskHash(spec)));
    let accepted = false;
    for await (const { update, tokens } of ingress.watch(hash, new Date(Date.now() + 120_000))) {
      if (firstMs < 0 && tokens.length > 0) firstMs = performance.now() - started;
      if (update.status === 'ACCEPTED') accepted = true;
    }
    return { ok: accepted, totalMs: performance.now() - started, firstMs };
  } catch {
    return { ok: false, totalMs: 0, firstMs: 0 };
  }
}

export interface ApiBenchOptions {
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly maxTokens: number;
  readonly progress: (line: string) => void;
}

/**
 * HTTP (gateway, streaming) and direct gRPC against the same devnet with the same clients,
 * in rounds of alternating order (gRPC-HTTP, HTTP-gRPC, ...) so that drift on a shared machine
 * and the tail of the previous phase fall on both paths alike.
 */
export async function runApiBench(
  devnet: Devnet,
  clients: readonly ApiClient[],
  o: ApiBenchOptions,
): Promise<{ http: PathFigures; grpc: PathFigures }> {
  const model = devnet.options.model;
  const ingress = new IngressClient(`127.0.0.1:${devnet.ingressPort}`);
  let nonce = BigInt(Date.now()) << 20n;
  const client = (i: number): ApiClient => clients[i % clients.length] as ApiClient;
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const baseUrl = new URL(devnet.gateway.baseUrl);
  const http = (i: number): Promise<Sample> => httpOnce(agent, baseUrl, client(i), model, o.maxTokens);
  const grpc = (i: number): Promise<Sample> => grpcOnce(ingress, devnet, client(i), model, o.maxTokens, nonce++);
  try {
    o.progress(`bench api: warm-up, ${o.warmup} requests per path`);
    await drive(o.warmup, o.concurrency, grpc);
    await drive(o.warmup, o.concurrency, http);
    const per = Math.ceil(o.requests / o.rounds);
    const all = { http: [] as Sample[], grpc: [] as Sample[] };
    const seconds = { http: 0, grpc: 0 };
    const cpuMs = { http: 0, grpc: 0 };
    for (let round = 0; round < o.rounds; round++) {
      // ABBA order: a phase also pays for the previous phase's settling (ledger commands, audits
      // after ACCEPTED) and for drift in the machine's load; alternating who goes first spreads both.
      const order =
        round % 2 === 0
          ? ([
              ['grpc', grpc],
              ['http', http],
            ] as const)
          : ([
              ['http', http],
              ['grpc', grpc],
            ] as const);
      for (const [name, one] of order) {
        const r = await drive(per, o.concurrency, one);
        all[name].push(...r.samples);
        seconds[name] += r.seconds;
        cpuMs[name] += r.cpuMs;
        o.progress(
          `bench api: round ${round + 1}/${o.rounds} ${name}: ${per} requests in ${r.seconds.toFixed(2)} s (${(per / r.seconds).toFixed(1)}/s, ${(r.cpuMs / per).toFixed(2)} ms CPU each)`,
        );
      }
    }
    return { http: figures(all.http, seconds.http, cpuMs.http), grpc: figures(all.grpc, seconds.grpc, cpuMs.grpc) };
  } finally {
    ingress.close();
    agent.destroy();
  }
}
