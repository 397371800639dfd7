import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRPC_SERVICES, PROTO_LOADER_OPTIONS } from '@aegis/contracts';
import {
  type ChatMessage,
  ensureModelDir,
  loadTokenizer,
  ModelError,
  ModelErrorCode,
  type ModelTokenizer,
  readModelDir,
  SMOLLM2_MODEL_ID,
} from '@aegis/model';
import { NodeKey, taskHash, toHex, type TaskSpec } from '@aegis/protocol';
import { GrpcServiceClient } from '@aegis/service-kit';
import { credentials, loadPackageDefinition, type ClientReadableStream, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type Command, InvalidArgumentError } from 'commander';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption, temperatureOption } from './option.parsers';

interface SubmitOpts {
  ingress: string;
  keyFile: string;
  model: string;
  modelDir?: string;
  system?: string;
  maxTokens: number;
  topK: number;
  temperature: number;
  nonce?: string;
  watch?: boolean;
  json?: boolean;
}

interface UpdateWire {
  status: string;
  node: Buffer;
  detail: string;
}

const FINAL = new Set(['TASK_STATUS_ACCEPTED', 'TASK_STATUS_REJECTED', 'TASK_STATUS_FAILED']);

/**
 * The tokenizer of the model a task is for, from its local folder: tasks carry token ids, so the
 * client tokenizes (and detokenizes the answer) exactly as every node and verifier does.
 */
export async function tokenizerFor(modelId: string, modelDir: string | undefined): Promise<ModelTokenizer> {
  const dir =
    modelDir ??
    (await ensureModelDir(modelId, { onProgress: progress }).catch((e: unknown) => {
      if (e instanceof ModelError && e.code === ModelErrorCode.UnknownModel)
        throw new InvalidArgumentError(`--model: ${e.message.replace(/^modelId: /, '')}; or pass --model-dir with its folder`);
      throw e;
    }));
  const files = readModelDir(dir);
  if (files.descriptor.modelId !== modelId)
    throw new InvalidArgumentError(`--model-dir: ${dir} holds ${files.descriptor.modelId}, not ${modelId}`);
  return loadTokenizer(files.descriptor, files.dir);
}

/** `aegis submit "prompt" [--watch]`: one task to a running network's TaskIngress, signed by a client key. */
export const registerSubmitCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('submit')
    .description('submit an inference task to a running network (e.g. `aegis devnet`) and optionally follow it')
    .argument('<prompt>', "the user's message, in the model's chat format (the built-in models: its bytes)")
    .option('--ingress <host:port>', 'TaskIngress address', '127.0.0.1:50051')
    .option('--key-file <path>', 'client key (hex secp256k1); the devnet writes a funded one here', join('.cache', 'devnet', 'client.key'))
    .option('--model <id>', 'model id', SMOLLM2_MODEL_ID)
    .option('--model-dir <dir>', "the model's folder, for its tokenizer (default: .cache/models/<id>, fetched or built if missing)")
    .option('--system <text>', "a system message before the prompt (chat models; default: the template's own)")
    .option('--max-tokens <n>', 'max new tokens', intOption('--max-tokens', 1, 4096), 48)
    .option('--top-k <n>', 'top-K', intOption('--top-k', 1, 1_000_000), 40)
    .option('--temperature <t>', 'sampling temperature, 0 = greedy (up to 3 decimals)', temperatureOption('--temperature'), 700)
    .option('--nonce <u64>', 'task nonce (default: time-based, so each call is a new task)')
    .option('--watch', 'stream status changes until the task is final')
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (prompt: string, opts: SubmitOpts) => {
      if (prompt.length === 0) throw new InvalidArgumentError('<prompt>: must not be empty');
      if (opts.nonce !== undefined && !/^[0-9]{1,20}$/.test(opts.nonce))
        throw new InvalidArgumentError('--nonce: expected an unsigned 64-bit integer');
      let key: NodeKey;
      try {
        key = NodeKey.fromHex(readFileSync(opts.keyFile, 'utf8').trim());
      } catch (err) {
        throw new InvalidArgumentError(
          `--key-file: cannot use ${opts.keyFile} (${err instanceof Error ? err.message : String(err)}); start \`aegis devnet\` first or pass a funded key`,
        );
      }
      if (opts.system !== undefined && opts.system.length === 0) throw new InvalidArgumentError('--system: must not be empty');
      const tokenizer = await tokenizerFor(opts.model, opts.modelDir);
      const messages: ChatMessage[] = [
        ...(opts.system !== undefined ? [{ role: 'system' as const, content: opts.system }] : []),
        { role: 'user', content: prompt },
      ];
      const spec: TaskSpec = {
        modelId: opts.model,
        promptTokens: tokenizer.chatPrompt(messages),
        maxNewTokens: opts.maxTokens,
        topK: opts.topK,
        temperatureMilli: opts.temperature,
        // A chat model's answer ends at its end of turn; the byte toys have no turns.
        stopTokens: tokenizer.kind === 'bpe' ? [tokenizer.eos] : [],
        nonce: opts.nonce !== undefined ? BigInt(opts.nonce) : BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000)),
      };
      const hash = taskHash(spec);
      const api = new GrpcServiceClient(GRPC_SERVICES.taskIngress, opts.ingress);
      try {
        const submitted = await api.unary<{ taskHash: Buffer; status: string }>('SubmitTask', {
          spec: { ...spec, nonce: spec.nonce.toString() },
          client: Buffer.from(key.address.slice(2), 'hex'),
          signature: Buffer.from(key.sign(hash)),
        });
        progress(`task ${toHex(hash)} ${submitted.status}`);
        const updates: { status: string; node: string; detail: string }[] = [];
        if (opts.watch) {
          for await (const u of watch(opts.ingress, submitted.taskHash)) {
            const node = u.node.length ? `0x${u.node.toString('hex')}` : '';
            updates.push({ status: u.status, node, detail: u.detail });
            progress(`  ${u.status.replace('TASK_STATUS_', '')}${node ? ` node ${node}` : ''}${u.detail ? ` (${u.detail})` : ''}`);
          }
        }
        let answer: { text: string; tokens: number[] } | undefined;
        const final = updates.at(-1)?.status;
        if (final === 'TASK_STATUS_ACCEPTED') {
          const view = await api.unary<{ task: { outputTokens: number[] } }>('GetTask', { taskHash: submitted.taskHash });
          answer = { text: tokenizer.decode(view.task.outputTokens), tokens: view.task.outputTokens };
        }
        const result = {
          taskHash: toHex(hash),
          status: final ?? submitted.status,
          promptTokens: spec.promptTokens.length,
          ...(answer !== undefined ? answer : {}),
          updates,
        };
        if (opts.json) printJsonResult(result);
        else
          process.stdout.write(
            `${result.taskHash} ${result.status.replace('TASK_STATUS_', '')}${answer !== undefined ? `\n${answer.text}` : ''}\n`,
          );
        if (final !== undefined && final !== 'TASK_STATUS_ACCEPTED') process.exitCode = 1;
      } finally {
        api.close();
      }
    });
};

async function* watch(address: string, taskHashBytes: Buffer): AsyncGenerator<UpdateWire> {
  const pkg = loadPackageDefinition(loadSync(GRPC_SERVICES.taskIngress.protoPath, PROTO_LOADER_OPTIONS)) as unknown as {
    aegis: { ingress: { v1: { TaskIngress: ServiceClientConstructor } } };
  };
  const client = new pkg.aegis.ingress.v1.TaskIngress(address, credentials.createInsecure()) as unknown as {
    watchTask(req: { taskHash: Buffer }): ClientReadableStream<{ update: UpdateWire }>;
    close(): void;
  };
  try {
    const stream = client.watchTask({ taskHash: taskHashBytes });
    for await (const message of stream as AsyncIterable<{ update: UpdateWire }>) {
      yield message.update;
      if (FINAL.has(message.update.status)) break;
    }
  } finally {
    client.close();
  }
}
