import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InProcessEventBus, type EventBus, type Subscription, withTimeout } from '@aegis/bus';
import { ALL_TOPICS, GRPC_SERVICES } from '@aegis/contracts';
import { PgLedger, signStakeRequest, type StakeRequest } from '@aegis/ledger';
import { ensureModelDir, loadTokenizer, type ModelTokenizer, readModelDir, SMOLLM2_MODEL_ID } from '@aegis/model';
import { NodeKey, taskHash, toHex, type TaskSpec } from '@aegis/protocol';
import { GrpcServiceClient, type RunningService } from '@aegis/service-kit';
import pino from 'pino';
import { DevnetMonitor, type DevnetCounts } from './devnet.monitor';
import type { RunningExplorer } from './devnet.services';
import {
  startGatewayService,
  startExplorerService,
  startIngressService,
  startLedgerService,
  startPowCheckerService,
  startTallierService,
  startVerifierService,
  startWorkerService,
  type DevnetContext,
  type DevnetGateway,
} from './devnet.services';
import { CHEAT_BEHAVIORS, type CheatBehavior } from './cheats';
import type { RunningWorker } from '@aegis/services/inference-worker';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded.postgres';
import { startNoopWorker } from './noop.worker';

/** The file in the state dir that holds a running devnet's database URL. */
export const DEVNET_DATABASE_URL_FILE = 'database.url';
/** The file in the state dir that holds the devnet's control (beacon signing) address. */
export const DEVNET_CONTROL_ADDRESS_FILE = 'control.address';

/** What the devnet's own tasks ask for (runTasks and submit). */
export interface DevnetTaskOptions {
  /** The same prompt for every task; absent: a few built-in prompts in turn. */
  readonly prompt?: string;
  readonly maxNewTokens: number;
  readonly topK: number;
  /** Temperature x 1000 (0 = greedy). */
  readonly temperatureMilli: number;
}

export interface DevnetOptions {
  /**
   * The model every node serves: a built-in one (built on first use) or a fetchable real one
   * (fetched with pip and imported on first use, cached afterwards).
   */
  readonly model: string;
  readonly task: DevnetTaskOptions;
  /** Node identities in the network (each both resource node and verifier). */
  readonly nodes: number;
  /** How many of them misbehave, all with `behavior`. */
  readonly cheaters: number;
  readonly behavior: CheatBehavior;
  /** TaskIngress and StakeLedger ports on 127.0.0.1 (0: any free port). */
  readonly ingressPort: number;
  readonly ledgerPort: number;
  /** The OpenAI-compatible HTTP gateway's port on 127.0.0.1 (0: any free port; absent: 0). */
  readonly gatewayPort?: number;
  /** The explorer's HTTP port on 127.0.0.1 (0: any free port; null: no explorer). */
  readonly explorerPort: number | null;
  readonly windowSeconds: number;
  readonly verifiersPerTask: number;
  readonly minStake: bigint;
  /** The ledger's unbonding delay (AEGIS_UNBONDING_SECONDS): how long unstaked tokens wait before a withdraw. */
  readonly unbondingSeconds: number;
  readonly taskFee: bigint;
  /** Share of verdicts outside disputes the PoW checker recomputes (every one in a dispute). */
  readonly auditShare: number;
  /** Where the client key (for `aegis submit`) and the control key are written. */
  readonly stateDir: string;
  readonly logLevel: string;
  /** Progress lines (stderr in the CLI). */
  readonly progress: (line: string) => void;
  /**
   * Run on this bus and database instead of the in-process bus and embedded Postgres (the
   * pipeline benchmark passes Kafka and the local Postgres server); the caller owns both.
   */
  readonly infrastructure?: {
    /** The devnet's own subscriptions and publishes (monitor, no-op worker). */
    readonly bus: EventBus;
    /** Each service's bus: one Kafka client per service, as one per pod (a shared producer would serialize them). */
    readonly busFor?: (service: string) => EventBus;
    readonly databaseUrl: string;
  };
  /** 'noop': a stand-in worker answers at once and no verifiers run (the control plane alone). */
  readonly inference?: 'model' | 'noop';
}

export const DEFAULT_DEVNET_OPTIONS: Omit<DevnetOptions, 'progress' | 'stateDir'> = {
  model: SMOLLM2_MODEL_ID,
  task: { maxNewTokens: 32, topK: 40, temperatureMilli: 700 },
  nodes: 5,
  cheaters: 1,
  behavior: 'wrong-tokens',
  ingressPort: 50051,
  ledgerPort: 50052,
  explorerPort: null,
  windowSeconds: 3,
  verifiersPerTask: 3,
  minStake: 10_000n,
  unbondingSeconds: 60,
  taskFee: 1_000n,
  auditShare: 0.25,
  logLevel: 'warn',
};

export interface DevnetNode {
  readonly key: NodeKey;
  readonly behavior: 'honest' | CheatBehavior;
}

export interface DevnetSummary {
  readonly submitted: number;
  readonly completed: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
  readonly liquidated: { address: string; behavior: string }[];
  readonly honestSlashed: number;
  readonly ledgerInvariant: boolean;
  readonly tasksPerSecond: number;
  readonly seconds: number;
  readonly verdicts: number;
  readonly disputes: number;
  readonly deadLetters: number;
  /** false when the run timed out before every task and dispute settled. */
  readonly settled: boolean;
  readonly model: string;
  /** Each task's final status and decoded answer, when runTasks was asked for them. */
  readonly answers?: DevnetAnswer[];
}

export interface DevnetAnswer {
  readonly taskHash: string;
  readonly status: string;
  readonly text: string;
}

const PROMPTS = [
  'The quick brown fox',
  'Verifiable inference is',
  'Proof of stake plus work',
  'Once upon a time',
  'A small deterministic model',
  'Hello, devnet',
  'Teacher forcing checks',
  'Stake is liquidated when',
];

/** A running embedded network: every service in this process, one in-process bus, embedded Postgres. */
export class Devnet {
  private readonly ledgerApi: GrpcServiceClient;
  private readonly ingressApi: GrpcServiceClient;
  private nonce = BigInt(Date.now()) << 16n;
  private noop: Subscription | undefined;
  /** The explorer, when the options asked for one: its URL is printed with the devnet's ports. */
  explorer: RunningExplorer | undefined;
  /** Seconds the last runTasks spent submitting (ingress throughput, for the pipeline benchmark). */
  submittedIn = 0;

  private constructor(
    readonly options: DevnetOptions,
    readonly client: NodeKey,
    readonly nodes: readonly DevnetNode[],
    readonly monitor: DevnetMonitor,
    private readonly services: RunningService[],
    private readonly bus: EventBus,
    private readonly ownsBus: boolean,
    private readonly postgres: EmbeddedPostgresHandle | undefined,
    private readonly ledger: PgLedger,
    readonly ingressPort: number,
    readonly ledgerPort: number,
    readonly tokenizer: ModelTokenizer,
    /** The gateway's OpenAI base URL (http://127.0.0.1:PORT/v1) and an API key of the funded client. */
    readonly gateway: { readonly baseUrl: string; readonly apiKey: string; readonly createApiKey: DevnetGateway['createApiKey'] },
    /** The network's Postgres (embedded, or the caller's): read-only tools (network status, the explorer) read it. */
    readonly databaseUrl: string,
  ) {
    this.ledgerApi = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, `127.0.0.1:${ledgerPort}`);
    this.ingressApi = new GrpcServiceClient(GRPC_SERVICES.taskIngress, `127.0.0.1:${ingressPort}`);
  }

  static async start(options: DevnetOptions): Promise<Devnet> {
    validateOptions(options);
    const { progress } = options;
    const logger = pino({ level: options.logLevel, base: { devnet: true } }, pino.destination(2));
    const started: RunningService[] = [];
    let postgres: EmbeddedPostgresHandle | undefined;
    let bus: EventBus | undefined;
    let noop: Subscription | undefined;
    let ledger: PgLedger | undefined;
    let explorer: RunningExplorer | undefined;
    const infra = options.infrastructure;
    try {
      progress(`devnet: model ${options.model} (built, or fetched and imported, on first use; cached afterwards)`);
      const modelDir = await ensureModelDir(options.model, { onProgress: (line) => progress(`devnet: ${line}`) });
      const tokenizer = loadTokenizer(readModelDir(modelDir).descriptor, modelDir);
      if (!infra) {
        progress('devnet: starting embedded Postgres');
        postgres = await startEmbeddedPostgres();
      }
      const databaseUrl = infra?.databaseUrl ?? postgres?.url ?? '';
      bus = infra?.bus ?? new InProcessEventBus({ topics: ALL_TOPICS, logger });
      const monitor = new DevnetMonitor();
      await monitor.start(bus, `${process.pid}`);
      mkdirSync(options.stateDir, { recursive: true });
      const control = NodeKey.generate();
      const ctx: DevnetContext = {
        bus,
        logger,
        databaseUrl,
        modelDir,
        minStake: options.minStake,
        unbondingSeconds: options.unbondingSeconds,
        taskFee: options.taskFee,
        controlAddress: control.address,
        stateDir: options.stateDir,
      };
      const controlKeyFile = join(options.stateDir, 'control.key');
      writeFileSync(controlKeyFile, `${control.privateKeyHex()}\n`, { mode: 0o600 });
      // What an operator's verifier (aegis node run) trusts: beacons signed by this address.
      writeFileSync(join(options.stateDir, DEVNET_CONTROL_ADDRESS_FILE), `${control.address}\n`);
      const client = NodeKey.generate();
      writeFileSync(join(options.stateDir, 'client.key'), `${client.privateKeyHex()}\n`, { mode: 0o600 });
      const nodes: DevnetNode[] = Array.from({ length: options.nodes }, (_, i) => ({
        key: NodeKey.generate(),
        behavior: i >= options.nodes - options.cheaters ? options.behavior : 'honest',
      }));

      const own = (service: string): DevnetContext => ({ ...ctx, bus: infra?.busFor?.(service) ?? ctx.bus });
      progress('devnet: starting ledger, ingress, tallier, pow-checker');
      const ledgerService = await startLedgerService(own('ledger'), options.ledgerPort);
      started.push(ledgerService);
      const ingress = await startIngressService(own('ingress'), options.ingressPort, ledgerService.grpcPort);
      started.push(ingress);
      const tallier = await startTallierService(own('tallier'), {
        controlKeyFile,
        windowSeconds: options.windowSeconds,
        verifiersPerTask: options.verifiersPerTask,
      });
      started.push(tallier);
      started.push(await startPowCheckerService(own('pow-checker'), options.auditShare, tallier.grpcPort));
      const gateway = await startGatewayService(own('gateway'), options.gatewayPort ?? 0, ingress.grpcPort, client);
      started.push(gateway.service);
      ledger = await PgLedger.connect({
        url: databaseUrl,
        rules: { minStake: options.minStake, unbondingSeconds: options.unbondingSeconds },
        poolSize: 2,
      });
      if (options.explorerPort !== null) explorer = await startExplorerService(ctx, options.explorerPort);

      const baseUrl = `http://127.0.0.1:${gateway.service.httpPort ?? 0}/v1`;
      const devnet = new Devnet(
        options,
        client,
        nodes,
        monitor,
        started,
        bus,
        !infra,
        postgres,
        ledger,
        ingress.grpcPort,
        ledgerService.grpcPort,
        tokenizer,
        { baseUrl, apiKey: gateway.apiKey, createApiKey: gateway.createApiKey },
        databaseUrl,
      );
      devnet.explorer = explorer;
      // For `aegis network status` and `aegis node status` run beside the devnet (removed on stop).
      writeFileSync(join(options.stateDir, DEVNET_DATABASE_URL_FILE), `${databaseUrl}\n`, { mode: 0o600 });
      progress(`devnet: funding the client and staking ${nodes.length} nodes`);
      await devnet.fund(client, options.taskFee * 1_000_000n, false);
      for (const node of nodes) await devnet.fund(node.key, options.minStake * 2n, true);

      const honest = nodes.filter((n) => n.behavior === 'honest').map((n) => n.key);
      const cheating = nodes.filter((n) => n.behavior !== 'honest').map((n) => n.key);
      if (options.inference === 'noop') {
        progress('devnet: no-op inference (no workers, no verifiers): the control plane alone');
        noop = await startNoopWorker(bus, honest);
        devnet.noop = noop;
        progress(
          `devnet: up. TaskIngress on 127.0.0.1:${ingress.grpcPort}, StakeLedger on 127.0.0.1:${ledgerService.grpcPort}, OpenAI API on ${baseUrl}${explorerLine(explorer)}`,
        );
        return devnet;
      }
      progress(`devnet: starting workers and verifiers (${honest.length} honest, ${cheating.length} ${options.behavior})`);
      started.push(await startVerifierService(own('verifier'), honest, false, 'devnet-honest'));
      const honestWorker = await startWorkerService(own('inference-worker'), honest, 'honest', 'devnet-honest');
      started.push(honestWorker);
      const workers: [RunningWorker, string][] = [[honestWorker, 'devnet-honest']];
      if (cheating.length > 0) {
        const lazy = options.behavior === 'lazy-verifier';
        started.push(await startVerifierService(own('verifier-cheater'), cheating, lazy, 'devnet-cheater'));
        // Once every cheating key is liquidated this worker leaves the task group by itself.
        const cheater = await startWorkerService(
          own('inference-worker-cheater'),
          cheating,
          lazy ? 'honest' : options.behavior,
          'devnet-cheater',
        );
        started.push(cheater);
        workers.push([cheater, 'devnet-cheater']);
      }
      // "Up" means every node can be handed a task: tasks submitted while one worker was still
      // waiting to see its stake would all go to the others (a 10-task run then often showed no
      // cheater at all).
      await Promise.all(
        workers.map(([worker, id]) =>
          withTimeout(worker.joined, 60_000, `devnet: inference worker ${id} (are its keys staked?) did not join the task group`),
        ),
      );
      progress(
        `devnet: up. TaskIngress on 127.0.0.1:${ingress.grpcPort}, StakeLedger on 127.0.0.1:${ledgerService.grpcPort}, OpenAI API on ${baseUrl}${explorerLine(explorer)}`,
      );
      return devnet;
    } catch (err) {
      await explorer?.close().catch(() => undefined);
      for (const service of started.reverse()) await service.close().catch(() => undefined);
      await noop?.stop().catch(() => undefined);
      await ledger?.close().catch(() => undefined);
      if (!infra) await bus?.close().catch(() => undefined);
      await postgres?.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Funds another client account from the faucet (benches that submit as several clients). */
  fundClient(key: NodeKey): Promise<void> {
    return this.fund(key, this.options.taskFee * 1_000_000n, false);
  }

  /** Faucet deposit (and stake) through StakeLedger, signed like any node operator's request. */
  private async fund(key: NodeKey, amount: bigint, stake: boolean): Promise<void> {
    const call = async (method: 'deposit' | 'stake', value: bigint, rpc: string): Promise<void> => {
      const amount = value.toString();
      const request: StakeRequest = { method, address: key.address, amount, idempotencyKey: `devnet-${method}` };
      await this.ledgerApi.unary(rpc, {
        address: Buffer.from(key.address.slice(2), 'hex'),
        amount,
        idempotencyKey: request.idempotencyKey,
        signature: Buffer.from(signStakeRequest(request, key)),
      });
    };
    await call('deposit', amount, 'Deposit');
    if (stake) await call('stake', this.options.minStake, 'Stake');
  }

  /**
   * Submits one task over TaskIngress as the devnet's client; returns its hash (0x hex). The
   * prompt is a user message in the model's chat format; a chat model stops at its end of turn.
   */
  async submit(prompt: string, maxNewTokens = this.options.task.maxNewTokens): Promise<string> {
    const spec: TaskSpec = {
      modelId: this.options.model,
      promptTokens: this.tokenizer.chatPrompt([{ role: 'user', content: prompt }]),
      maxNewTokens,
      topK: this.options.task.topK,
      temperatureMilli: this.options.task.temperatureMilli,
      stopTokens: this.tokenizer.kind === 'bpe' ? [this.tokenizer.eos] : [],
      nonce: this.nonce++,
    };
    const hash = taskHash(spec);
    await this.ingressApi.unary('SubmitTask', {
      spec: { ...spec, nonce: spec.nonce.toString() },
      client: Buffer.from(this.client.address.slice(2), 'hex'),
      signature: Buffer.from(this.client.sign(hash)),
    });
    return toHex(hash);
  }

  /** Submits `count` tasks and waits until they, their disputes and their ledger effects settle. */
  async runTasks(count: number, timeoutMs: number, concurrency = 1, withAnswers = false): Promise<DevnetSummary> {
    const started = Date.now();
    const hashes = new Set<string>();
    const stopProgress = this.reportProgress(hashes, count);
    try {
      let next = 0;
      const submitter = async (): Promise<void> => {
        const prompt = (i: number): string => this.options.task.prompt ?? `${PROMPTS[i % PROMPTS.length]} #${i}`;
        for (let i = next++; i < count; i = next++) hashes.add(await this.submit(prompt(i)));
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, submitter));
      this.submittedIn = (Date.now() - started) / 1000;
      const settled = await this.waitSettled(hashes, started + timeoutMs);
      const summary = await this.summary(hashes, (Date.now() - started) / 1000, settled);
      return withAnswers ? { ...summary, answers: await this.answers(hashes) } : summary;
    } finally {
      stopProgress();
    }
  }

  /** Each task's status and its output decoded with the model's tokenizer, read back through TaskIngress. */
  async answers(hashes: ReadonlySet<string>): Promise<DevnetAnswer[]> {
    const out: DevnetAnswer[] = [];
    for (const hash of hashes) {
      const view = await this.ingressApi.unary<{ task: { status: string; outputTokens: number[] } }>('GetTask', {
        taskHash: Buffer.from(hash.slice(2), 'hex'),
      });
      out.push({
        taskHash: hash,
        status: view.task.status.replace('TASK_STATUS_', ''),
        text: this.tokenizer.decode(view.task.outputTokens),
      });
    }
    return out;
  }

  async summary(hashes: ReadonlySet<string>, seconds: number, settled: boolean): Promise<DevnetSummary> {
    const c = this.monitor.counts(hashes);
    const behaviorOf = new Map(this.nodes.map((n) => [n.key.address, n.behavior]));
    const liquidated = c.liquidated.map((address) => ({ address, behavior: behaviorOf.get(address) ?? 'unknown' }));
    const invariant = await this.ledger.checkInvariant();
    return {
      submitted: hashes.size,
      completed: c.completed,
      accepted: c.accepted,
      rejected: c.rejected,
      failed: c.failed,
      liquidated,
      honestSlashed: liquidated.filter((l) => l.behavior === 'honest').length,
      ledgerInvariant: invariant.ok,
      tasksPerSecond: seconds > 0 ? Math.round((c.completed / seconds) * 100) / 100 : 0,
      seconds: Math.round(seconds * 10) / 10,
      verdicts: c.checkedVerdicts,
      disputes: c.disputesOpened,
      deadLetters: c.deadLetters,
      settled,
      model: this.options.model,
    };
  }

  /** Progress lines on every change, at most twice a second. */
  reportProgress(hashes: ReadonlySet<string>, expected?: number): () => void {
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    const print = (): void => {
      timer = undefined;
      const line = formatProgress(this.monitor.counts(hashes.size > 0 ? hashes : undefined), expected ?? hashes.size);
      if (line !== last) this.options.progress((last = line));
    };
    const off = this.monitor.onChange(() => (timer ??= setTimeout(print, 500)));
    return () => {
      off();
      if (timer) clearTimeout(timer);
      print();
    };
  }

  /** Resolves true once `hashes` settled (see DevnetMonitor.settled), false at `deadline` (ms since the epoch). */
  waitSettled(hashes: ReadonlySet<string>, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.monitor.settled(hashes)) finish(true);
        else if (Date.now() > deadline) finish(false);
      };
      const timer = setInterval(check, 100);
      const off = this.monitor.onChange(check);
      const finish = (value: boolean): void => {
        clearInterval(timer);
        off();
        resolve(value);
      };
      check();
    });
  }

  /** Stops workers first (no new work), then the control plane, then the bus and the database. */
  async stop(): Promise<void> {
    this.ingressApi.close();
    this.ledgerApi.close();
    // The explorer only reads: it goes first, so no page is left reading a database being stopped.
    await this.explorer?.close();
    await this.noop?.stop();
    for (const service of [...this.services].reverse()) await service.close();
    await this.monitor.stop();
    if (this.ownsBus) await this.bus.close();
    await this.ledger.close();
    await this.postgres?.stop();
    rmSync(join(this.options.stateDir, DEVNET_DATABASE_URL_FILE), { force: true });
  }
}

function explorerLine(explorer: RunningExplorer | undefined): string {
  return explorer ? `, explorer at ${explorer.url}` : '';
}

export function formatProgress(c: DevnetCounts, expected: number): string {
  return (
    `tasks ${expected > 0 ? `${c.completed}/${expected}` : c.completed} final (accepted ${c.accepted}, rejected ${c.rejected}${c.failed ? `, failed ${c.failed}` : ''})` +
    ` | results ${c.results} | verdicts ${c.verdicts} (checked ${c.checkedVerdicts})` +
    ` | disputes ${c.disputesResolved}/${c.disputesOpened} resolved | liquidated ${c.liquidated.length}` +
    ` | ledger ${c.ledgerEvents}/${c.ledgerCommands}${c.deadLetters ? ` | dead letters ${c.deadLetters}` : ''}`
  );
}

function validateOptions(o: DevnetOptions): void {
  const fail = (field: string, message: string): never => {
    throw new RangeError(`${field}: ${message}`);
  };
  if (!Number.isInteger(o.nodes) || o.nodes < 2 || o.nodes > 64) fail('nodes', 'must be an integer in [2, 64]');
  if (!Number.isInteger(o.cheaters) || o.cheaters < 0 || o.cheaters >= o.nodes) fail('cheaters', `must be an integer in [0, nodes - 1]`);
  if (!(CHEAT_BEHAVIORS as readonly string[]).includes(o.behavior)) fail('behavior', `must be one of ${CHEAT_BEHAVIORS.join(', ')}`);
  if (!Number.isInteger(o.unbondingSeconds) || o.unbondingSeconds < 0) fail('unbondingSeconds', 'must be a non-negative integer');
  if (!Number.isInteger(o.windowSeconds) || o.windowSeconds < 1) fail('windowSeconds', 'must be a positive integer');
  if (!Number.isInteger(o.verifiersPerTask) || o.verifiersPerTask < 1) fail('verifiersPerTask', 'must be a positive integer');
  if (!Number.isInteger(o.task.maxNewTokens) || o.task.maxNewTokens < 1) fail('task.maxNewTokens', 'must be a positive integer');
  if (!Number.isInteger(o.task.topK) || o.task.topK < 1) fail('task.topK', 'must be a positive integer');
  if (!Number.isInteger(o.task.temperatureMilli) || o.task.temperatureMilli < 0)
    fail('task.temperatureMilli', 'must be a non-negative integer');
  if (o.task.prompt !== undefined && o.task.prompt.length === 0) fail('task.prompt', 'must not be empty');
}
