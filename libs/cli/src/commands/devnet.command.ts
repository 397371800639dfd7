import { join } from 'node:path';
import { createKafkaTopics, deleteKafkaTopics, KafkaEventBus, topicRecordCounts } from '@aegis/bus';
import { ALL_TOPICS } from '@aegis/contracts';
import { CHEAT_BEHAVIORS, DEFAULT_DEVNET_OPTIONS, Devnet, type CheatBehavior, type DevnetOptions } from '@aegis/devnet';
import { kafkaConnectionFromEnv } from '@aegis/service-kit';
import { kafkaEnvWithBrokers } from '../cli.env';
import { BUILTIN_MODELS, KNOWN_MODELS } from '@aegis/model';
import { type Command, InvalidArgumentError } from 'commander';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { temperatureOption } from './option.parsers';

/**
 * The tally window of a devnet serving a real model. A verdict that arrives after the window
 * closes is not counted, and a window that closes with no REJECT accepts the result: a window
 * shorter than an honest verification (a 135M model on a busy two-core machine can take several
 * seconds per result, several results queued) finalises wrong results unchallenged. Seen with 3 s:
 * a wrong-tokens answer accepted while its rejecting verdict was still being computed.
 */
const REAL_MODEL_WINDOW_SECONDS = 30;

/**
 * The devnet's bus and database on real servers: the topics created (idempotent) and their
 * partitions led, one Kafka client per service as in pods; close() ends every client.
 */
async function kafkaInfrastructure(
  brokerList: string,
  databaseUrl: string,
): Promise<{ infrastructure: NonNullable<DevnetOptions['infrastructure']>; close: () => Promise<void> }> {
  const brokers = brokerList
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0 || !brokers.every((b) => /^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(b)))
    throw new InvalidArgumentError('--brokers: expected host:port,...');
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new InvalidArgumentError('--url: expected a postgres:// URL');
  const connection = kafkaConnectionFromEnv(kafkaEnvWithBrokers(brokers), 'aegis-devnet');
  // A devnet starts from nothing, its ledger's event sequence included: records a previous run
  // left on these topics would read as already seen (the stake views skip old sequence numbers).
  await deleteKafkaTopics(connection, ALL_TOPICS);
  for (let attempt = 0; ; attempt++) {
    try {
      // Deletion completes asynchronously: creation is refused until it has.
      await createKafkaTopics(connection, { topics: ALL_TOPICS, partitions: 6, replicationFactor: 1 });
      break;
    } catch (err) {
      if (attempt >= 60) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  // A fresh topic's first subscribe fails until each partition has a leader: reading the end offsets succeeds only then.
  for (let attempt = 0; ; attempt++) {
    try {
      await topicRecordCounts(connection, ALL_TOPICS);
      break;
    } catch (err) {
      if (attempt >= 60) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const buses: KafkaEventBus[] = [];
  const bus = (clientId: string): KafkaEventBus => {
    // A short session: a devnet's services come and go, and a departed member must not hold partitions for long.
    const b = new KafkaEventBus({ ...connection, clientId, sessionTimeoutMs: 6_000 });
    buses.push(b);
    return b;
  };
  return {
    infrastructure: { bus: bus('aegis-devnet'), busFor: (service) => bus(`aegis-devnet-${service}`), databaseUrl },
    close: async () => {
      for (const b of buses) await b.close().catch(() => undefined);
    },
  };
}

/** Where the devnet leaves the client key `aegis submit` uses by default. */
export const DEVNET_STATE_DIR = join('.cache', 'devnet');

interface DevnetOpts {
  model: string;
  prompt?: string;
  maxTokens: number;
  topK: number;
  temperature: number;
  nodes: number;
  cheaters: number;
  behavior: CheatBehavior;
  port: number;
  ledgerPort: number;
  gatewayPort: number;
  inference: 'model' | 'noop';
  explorerPort: number;
  explorer: boolean;
  unbondingSeconds: number;
  brokers?: string;
  url?: string;
  windowSeconds?: number;
  verifiers: number;
  tasks?: number;
  exitWhenDone?: boolean;
  timeout: number;
  json?: boolean;
  logLevel: string;
}

const int =
  (flag: string, min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag}: expected an integer in [${min}, ${max}]`);
    return n;
  };

/**
 * `aegis devnet`: the whole network in this process: in-process bus, embedded Postgres, the six
 * services' own modules. With --tasks N --exit-when-done it runs N tasks and prints one summary.
 */
export const registerDevnetCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('devnet')
    .description('run the whole network in one process (no Kafka, no Postgres server, no Java)')
    .option(
      '--model <id>',
      `model every node serves (built-in: ${Object.keys(BUILTIN_MODELS).join(', ')}; fetchable: ${Object.keys(KNOWN_MODELS).join(', ')})`,
      DEFAULT_DEVNET_OPTIONS.model,
    )
    .option('--prompt <text>', 'with --tasks: the user message of every task (default: a few built-in prompts)')
    .option(
      '--max-tokens <n>',
      'with --tasks: max new tokens per task',
      int('--max-tokens', 1, 4096),
      DEFAULT_DEVNET_OPTIONS.task.maxNewTokens,
    )
    .option('--top-k <n>', 'with --tasks: top-K', int('--top-k', 1, 1_000_000), DEFAULT_DEVNET_OPTIONS.task.topK)
    .option(
      '--temperature <t>',
      'with --tasks: sampling temperature, 0 = greedy (up to 3 decimals)',
      temperatureOption('--temperature'),
      DEFAULT_DEVNET_OPTIONS.task.temperatureMilli,
    )
    .option('--nodes <n>', 'node identities (each a resource node and a verifier)', int('--nodes', 2, 64), DEFAULT_DEVNET_OPTIONS.nodes)
    .option('--cheaters <n>', 'how many of them misbehave', int('--cheaters', 0, 63), DEFAULT_DEVNET_OPTIONS.cheaters)
    .option(
      '--behavior <kind>',
      `the cheaters' misbehaviour: ${CHEAT_BEHAVIORS.join(', ')}`,
      (v: string) => {
        if (!(CHEAT_BEHAVIORS as readonly string[]).includes(v))
          throw new InvalidArgumentError(`--behavior: expected one of ${CHEAT_BEHAVIORS.join(', ')}`);
        return v as CheatBehavior;
      },
      DEFAULT_DEVNET_OPTIONS.behavior,
    )
    .option(
      '--port <port>',
      'TaskIngress port on 127.0.0.1 (0: any free port)',
      int('--port', 0, 65535),
      DEFAULT_DEVNET_OPTIONS.ingressPort,
    )
    .option(
      '--ledger-port <port>',
      'StakeLedger port on 127.0.0.1 (0: any free port)',
      int('--ledger-port', 0, 65535),
      DEFAULT_DEVNET_OPTIONS.ledgerPort,
    )
    .option(
      '--gateway-port <port>',
      'OpenAI-compatible HTTP API port on 127.0.0.1 (0: any free port)',
      int('--gateway-port', 0, 65535),
      8080,
    )
    .option(
      '--inference <mode>',
      'model: workers and verifiers run the model; noop: a stand-in worker echoes the prompt, no verifiers (the control plane alone)',
      (v: string) => {
        if (v !== 'model' && v !== 'noop') throw new InvalidArgumentError('--inference: expected model or noop');
        return v;
      },
      'model',
    )
    .option('--explorer-port <port>', 'the web explorer on 127.0.0.1 (0: any free port)', int('--explorer-port', 0, 65535), 8090)
    .option('--no-explorer', 'do not start the web explorer')
    .option(
      '--unbonding-seconds <s>',
      'how long unstaked tokens wait before `aegis withdraw`',
      int('--unbonding-seconds', 0, 31_536_000),
      DEFAULT_DEVNET_OPTIONS.unbondingSeconds,
    )
    .option(
      '--brokers <list>',
      'run on these Kafka brokers (host:port,...) instead of the in-process bus, so `aegis node run` in another process can join; needs --url. A broker of its own: the aegis topics are deleted and recreated at start',
    )
    .option(
      '--url <postgres-url>',
      'with --brokers: a database of its own for the services (migrated at start) instead of embedded Postgres',
    )
    .option(
      '--window-seconds <s>',
      `tally window (default ${DEFAULT_DEVNET_OPTIONS.windowSeconds} s for a built-in model, ${REAL_MODEL_WINDOW_SECONDS} s for a real one)`,
      int('--window-seconds', 1, 86_400),
    )
    .option('--verifiers <k>', 'verifiers per task (lottery target)', int('--verifiers', 1, 64), DEFAULT_DEVNET_OPTIONS.verifiersPerTask)
    .option('--tasks <n>', 'submit this many tasks', int('--tasks', 1, 100_000))
    .option('--exit-when-done', 'with --tasks: stop once every task, dispute and ledger effect has settled')
    .option('--timeout <s>', 'with --exit-when-done: give up after this many seconds', int('--timeout', 1, 86_400), 600)
    .option('--log-level <level>', 'service logs on stderr (pino level)', 'warn')
    .option('--json', 'print the summary as one JSON line (last line of stdout)')
    .action(async (opts: DevnetOpts) => {
      if (opts.exitWhenDone && opts.tasks === undefined) throw new InvalidArgumentError('--exit-when-done needs --tasks');
      if ((opts.brokers === undefined) !== (opts.url === undefined))
        throw new InvalidArgumentError('--brokers and --url go together: a devnet on Kafka keeps its state in a Postgres server of yours');
      const kafka = opts.brokers !== undefined && opts.url !== undefined ? await kafkaInfrastructure(opts.brokers, opts.url) : undefined;
      const devnet = await Devnet.start({
        ...DEFAULT_DEVNET_OPTIONS,
        model: opts.model,
        task: {
          ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}),
          maxNewTokens: opts.maxTokens,
          topK: opts.topK,
          temperatureMilli: opts.temperature,
        },
        nodes: opts.nodes,
        cheaters: opts.cheaters,
        behavior: opts.behavior,
        ingressPort: opts.port,
        ledgerPort: opts.ledgerPort,
        gatewayPort: opts.gatewayPort,
        inference: opts.inference,
        explorerPort: opts.explorer ? opts.explorerPort : null,
        unbondingSeconds: opts.unbondingSeconds,
        windowSeconds:
          opts.windowSeconds ??
          (Object.prototype.hasOwnProperty.call(BUILTIN_MODELS, opts.model)
            ? DEFAULT_DEVNET_OPTIONS.windowSeconds
            : REAL_MODEL_WINDOW_SECONDS),
        verifiersPerTask: opts.verifiers,
        stateDir: DEVNET_STATE_DIR,
        logLevel: opts.logLevel,
        progress,
        ...(kafka ? { infrastructure: kafka.infrastructure } : {}),
      }).catch(async (err: unknown) => {
        await kafka?.close();
        throw err;
      });
      if (kafka)
        progress(
          `devnet: on Kafka ${opts.brokers} (join with: npx aegis node run --key FILE --brokers ${opts.brokers} --model ${opts.model})`,
        );
      let stopping: Promise<void> | undefined;
      const stop = (): Promise<void> => (stopping ??= devnet.stop().finally(() => kafka?.close()));
      for (const node of devnet.nodes) progress(`  node ${node.key.address} ${node.behavior}`);
      progress(`  client ${devnet.client.address} (key in ${join(DEVNET_STATE_DIR, 'client.key')}; try: npx aegis submit "hello" --watch)`);
      for (const line of gatewayExamples(devnet.gateway.baseUrl, devnet.gateway.apiKey, opts.model)) progress(line);

      if (opts.tasks !== undefined) {
        const summary = await devnet.runTasks(opts.tasks, opts.timeout * 1000, 1, true).catch(async (err: unknown) => {
          await stop();
          throw err;
        });
        for (const a of summary.answers ?? []) progress(`  ${a.taskHash.slice(0, 12)}... ${a.status}: ${JSON.stringify(a.text)}`);
        if (opts.exitWhenDone) {
          await stop();
          if (opts.json) printJsonResult(summary);
          else process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
          if (!summary.settled || summary.honestSlashed > 0 || !summary.ledgerInvariant) process.exitCode = 1;
          return;
        }
        progress(`devnet: ${summary.completed}/${summary.submitted} tasks final; still serving (Ctrl-C to stop)`);
      }
      const stopProgress = devnet.reportProgress(new Set());
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      stopProgress();
      progress('devnet: stopping');
      await stop();
    });
};

/** What `aegis devnet` prints about its HTTP API: the base URL, the funded key, examples to paste. */
export function gatewayExamples(baseUrl: string, apiKey: string, model: string): string[] {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 16 });
  return [
    `  OpenAI-compatible API: ${baseUrl}`,
    `  API key (the client account above, funded): ${apiKey}`,
    '  try it:',
    `    curl -s ${baseUrl}/chat/completions -H 'Authorization: Bearer ${apiKey}' -H 'Content-Type: application/json' -d '${body}'`,
    `    node -e "const OpenAI=require('openai');new OpenAI({baseURL:'${baseUrl}',apiKey:'${apiKey}'}).chat.completions.create({model:'${model}',messages:[{role:'user',content:'Hello!'}],max_tokens:16}).then(r=>console.log(r.choices[0].message.content,r.aegis))"`,
  ];
}
