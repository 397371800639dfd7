import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRPC_SERVICES, PROTO_LOADER_OPTIONS } from '@aegis/contracts';
import { TINY_MODEL_ID } from '@aegis/model';
import { NodeKey, taskHash, toHex, utf8, type TaskSpec } from '@aegis/protocol';
import { GrpcServiceClient } from '@aegis/service-kit';
import { credentials, loadPackageDefinition, type ClientReadableStream, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { type Command, InvalidArgumentError } from 'commander';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';

interface SubmitOpts {
  ingress: string;
  keyFile: string;
  model: string;
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

const int = (flag: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${flag}: expected an integer in [${min}, ${max}]`);
  return n;
};

/** `aegis submit "prompt" [--watch]`: one task to a running network's TaskIngress, signed by a client key. */
export const registerSubmitCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('submit')
    .description('submit an inference task to a running network (e.g. `aegis devnet`) and optionally follow it')
    .argument('<prompt>', 'prompt text (byte-level tokens for the built-in models)')
    .option('--ingress <host:port>', 'TaskIngress address', '127.0.0.1:50051')
    .option('--key-file <path>', 'client key (hex secp256k1); the devnet writes a funded one here', join('.cache', 'devnet', 'client.key'))
    .option('--model <id>', 'model id', TINY_MODEL_ID)
    .option('--max-tokens <n>', 'max new tokens', int('--max-tokens', 1, 4096), 16)
    .option('--top-k <n>', 'top-K', int('--top-k', 1, 1_000_000), 8)
    .option('--temperature <milli>', 'temperature x 1000 (0 = greedy)', int('--temperature', 0, 10_000), 800)
    .option('--nonce <u64>', 'task nonce (default: time-based, so each call is a new task)')
    .option('--watch', 'stream status changes until the task is final')
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (prompt: string, opts: SubmitOpts) => {
      if (prompt.length === 0) throw new InvalidArgumentError('<prompt>: must not be empty');
      if (opts.nonce !== undefined && !/^[0-9]{1,20}$/.test(opts.nonce)) throw new InvalidArgumentError('--nonce: expected an unsigned 64-bit integer');
      let key: NodeKey;
      try {
        key = NodeKey.fromHex(readFileSync(opts.keyFile, 'utf8').trim());
      } catch (err) {
        throw new InvalidArgumentError(`--key-file: cannot use ${opts.keyFile} (${err instanceof Error ? err.message : String(err)}); start \`aegis devnet\` first or pass a funded key`);
      }
      const spec: TaskSpec = {
        modelId: opts.model,
        promptTokens: [...utf8(prompt)],
        maxNewTokens: opts.maxTokens,
        topK: opts.topK,
        temperatureMilli: opts.temperature,
        stopTokens: [],
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
        let output: string | undefined;
        const final = updates.at(-1)?.status;
        if (final === 'TASK_STATUS_ACCEPTED') {
          const view = await api.unary<{ task: { outputTokens: number[] } }>('GetTask', { taskHash: submitted.taskHash });
          output = Buffer.from(view.task.outputTokens.filter((t) => t < 256)).toString('latin1');
          progress(`  output: ${JSON.stringify(output)}`);
        }
        const result = { taskHash: toHex(hash), status: final ?? submitted.status, ...(output !== undefined ? { output } : {}), updates };
        if (opts.json) printJsonResult(result);
        else process.stdout.write(`${result.taskHash} ${result.status.replace('TASK_STATUS_', '')}\n`);
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
