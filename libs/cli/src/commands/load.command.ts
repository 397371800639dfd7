import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GRPC_SERVICES } from '@aegis/contracts';
import { SMOLLM2_MODEL_ID } from '@aegis/model';
import { NodeKey, taskHash, toHex, type TaskSpec } from '@aegis/protocol';
import { GrpcServiceClient } from '@aegis/service-kit';
import { type Command, InvalidArgumentError } from 'commander';
import { printJsonResult, progress } from '../output';
import type { RegisterCommand } from './index';
import { intOption } from './option.parsers';
import { tokenizerFor } from './submit.command';

interface LoadOpts {
  ingress: string;
  keyFile: string;
  model: string;
  modelDir?: string;
  rate: number;
  duration: number;
  settle: number;
  maxTokens: number;
  json?: boolean;
}

interface Tracked {
  readonly spec: TaskSpec;
  readonly hash: Buffer;
  readonly submittedAt: number;
  status: string;
  finalAt?: number;
}

const FINAL = new Set(['TASK_STATUS_ACCEPTED', 'TASK_STATUS_REJECTED', 'TASK_STATUS_FAILED']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The figures of one run. A task counts as lost when the ingress took it (SubmitTask answered)
 * and it was not ACCEPTED by the end of the settle time; submissions the ingress never took
 * (every retry refused, e.g. no ingress pod ready) are counted apart, as a client would see them.
 */
export function loadSummary(tasks: readonly Tracked[], refused: number, startedAt: number) {
  const accepted = tasks.filter((t) => t.status === 'TASK_STATUS_ACCEPTED');
  const lastAccepted = Math.max(startedAt, ...accepted.map((t) => t.finalAt ?? startedAt));
  const byStatus: Record<string, number> = {};
  for (const t of tasks) byStatus[t.status.replace('TASK_STATUS_', '')] = (byStatus[t.status.replace('TASK_STATUS_', '')] ?? 0) + 1;
  const seconds = (lastAccepted - startedAt) / 1000;
  return {
    submitted: tasks.length,
    refused,
    accepted: accepted.length,
    lost: tasks.length - accepted.length,
    byStatus,
    // Accepted tasks over the time from the first submission to the last acceptance: under an
    // offered rate above capacity this is the pipeline's throughput.
    tasksPerSecond: seconds > 0 ? Math.round((accepted.length / seconds) * 100) / 100 : 0,
    seconds: Math.round(seconds * 10) / 10,
  };
}

/** `aegis load`: a steady stream of tasks to a running network's TaskIngress, each followed to a final status. */
export const registerLoadCommand: RegisterCommand = (parent: Command) => {
  parent
    .command('load')
    .description('submit tasks at a steady rate to a running network and count how many are ACCEPTED, how fast, and how many are lost')
    .option('--ingress <host:port>', 'TaskIngress address', '127.0.0.1:50051')
    .option('--key-file <path>', 'funded client key (hex secp256k1)', join('.cache', 'devnet', 'client.key'))
    .option('--model <id>', 'model id', SMOLLM2_MODEL_ID)
    .option('--model-dir <dir>', "the model's folder, for its tokenizer (default: .cache/models/<id>)")
    .option('--rate <tasks/s>', 'tasks submitted per second', intOption('--rate', 1, 1000), 2)
    .option('--duration <s>', 'seconds of submitting', intOption('--duration', 1, 86_400), 30)
    .option('--settle <s>', 'seconds to wait after the last submission for every task to be final', intOption('--settle', 0, 86_400), 180)
    .option('--max-tokens <n>', 'max new tokens per task', intOption('--max-tokens', 1, 4096), 8)
    .option('--json', 'print the result as one JSON line (last line of stdout)')
    .action(async (opts: LoadOpts) => {
      let key: NodeKey;
      try {
        key = NodeKey.fromHex(readFileSync(opts.keyFile, 'utf8').trim());
      } catch (err) {
        throw new InvalidArgumentError(`--key-file: cannot use ${opts.keyFile} (${err instanceof Error ? err.message : String(err)})`);
      }
      const tokenizer = await tokenizerFor(opts.model, opts.modelDir);
      const api = new GrpcServiceClient(GRPC_SERVICES.taskIngress, opts.ingress);
      const tasks: Tracked[] = [];
      let refused = 0;
      const startedAt = Date.now();
      const submitOne = async (i: number): Promise<void> => {
        const spec: TaskSpec = {
          modelId: opts.model,
          promptTokens: tokenizer.chatPrompt([{ role: 'user', content: `load task ${i}` }]),
          maxNewTokens: opts.maxTokens,
          topK: 1,
          temperatureMilli: 0,
          stopTokens: tokenizer.kind === 'bpe' ? [tokenizer.eos] : [],
          nonce: BigInt(startedAt) * 1_000_000n + BigInt(i),
        };
        const hash = Buffer.from(taskHash(spec));
        const request = {
          spec: { ...spec, nonce: spec.nonce.toString() },
          client: Buffer.from(key.address.slice(2), 'hex'),
          signature: Buffer.from(key.sign(hash)),
        };
        // The same signed task on every retry: a repeat is the same task hash, never a second task.
        for (let attempt = 0; attempt < 20; attempt++) {
          try {
            const res = await api.unary<{ status: string }>('SubmitTask', request, 5_000);
            tasks.push({ spec, hash, submittedAt: Date.now(), status: res.status });
            return;
          } catch {
            await sleep(500);
          }
        }
        refused += 1;
      };
      const follow = async (): Promise<void> => {
        const open = tasks.filter((t) => !FINAL.has(t.status));
        for (let i = 0; i < open.length; i += 16) {
          await Promise.all(
            open.slice(i, i + 16).map(async (t) => {
              try {
                const view = await api.unary<{ task: { status: string } }>('GetTask', { taskHash: t.hash }, 5_000);
                t.status = view.task.status;
                if (FINAL.has(t.status)) t.finalAt = Date.now();
              } catch {
                // An ingress replica restarting: asked again on the next round.
              }
            }),
          );
        }
      };
      const total = opts.rate * opts.duration;
      progress(`load: ${total} tasks at ${opts.rate}/s to ${opts.ingress}`);
      const pending: Promise<void>[] = [];
      let following = Promise.resolve();
      let lastFollow = 0;
      for (let i = 0; i < total; i++) {
        const due = startedAt + (i * 1000) / opts.rate;
        const wait = due - Date.now();
        if (wait > 0) await sleep(wait);
        pending.push(submitOne(i));
        if (Date.now() - lastFollow > 1000) {
          lastFollow = Date.now();
          following = following.then(follow);
        }
      }
      await Promise.all(pending);
      await following;
      const deadline = Date.now() + opts.settle * 1000;
      while (tasks.some((t) => !FINAL.has(t.status)) && Date.now() < deadline) {
        await follow();
        await sleep(1000);
      }
      api.close();
      const summary = { ingress: opts.ingress, rate: opts.rate, duration: opts.duration, ...loadSummary(tasks, refused, startedAt) };
      const unfinished = tasks
        .filter((t) => t.status !== 'TASK_STATUS_ACCEPTED')
        .slice(0, 5)
        .map((t) => `${toHex(t.hash)} ${t.status}`);
      if (unfinished.length > 0) progress(`load: not accepted (first 5): ${unfinished.join(', ')}`);
      if (opts.json) printJsonResult(summary);
      else
        process.stdout.write(
          `${summary.accepted}/${summary.submitted} accepted, ${summary.tasksPerSecond} tasks/s, ${summary.lost} lost, ${summary.refused} refused\n`,
        );
    });
};
