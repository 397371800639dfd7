import { taskHash as hashOf, toHex, type NodeKey, type TaskSpec } from '@aegis/protocol';
import { GrpcStatus, grpcStatusOf } from '@aegis/service-kit';
import type { Logger } from 'pino';
import { IngressClient, type TaskStatusName, type TaskUpdate } from '../ingress/ingress.client';
import { badParam, ingressUnavailable, noFunds, OpenAiError, tooLarge } from './openai.errors';
import { randomNonce, type RequestPlan } from './request.plan';

/** The `aegis` object of every answer: what a client needs to check the claim itself. */
export interface AegisFacts {
  readonly taskHash: string;
  /** The resource node whose result this is (0x address), once known. */
  readonly node: string | null;
  readonly status: TaskStatusName;
  /** Status changes caused by verifier verdicts (VERIFYING, DISPUTED, a tally): the status stream carries no finer count. */
  readonly verdicts: number;
  readonly history: readonly TaskUpdate[];
}

export interface TaskOutcome {
  readonly facts: AegisFacts;
  /** The accepted output tokens (empty unless ACCEPTED). */
  readonly tokens: readonly number[];
}

export interface RunHooks {
  /** Called once TaskIngress took the task (refusals before this are plain HTTP errors). */
  readonly onSubmitted?: (taskHash: string) => void;
  /** Called on every status change, in order, with the result tokens it carried (SUBMITTED: not yet verified). */
  readonly onUpdate?: (update: TaskUpdate, tokens: readonly number[]) => void;
  readonly signal?: AbortSignal;
}

const VERDICT_STATUSES: ReadonlySet<TaskStatusName> = new Set(['VERIFYING', 'DISPUTED']);

/** gRPC field names of TaskIngress refusals -> the OpenAI parameter they came from. */
function paramOf(field: string, plan: RequestPlan): string | null {
  if (field.startsWith('spec.prompt_tokens')) return plan.kind === 'chat' ? 'messages' : 'prompt';
  if (field.startsWith('spec.max_new_tokens')) return 'max_tokens';
  if (field.startsWith('spec.top_k')) return 'top_k';
  if (field.startsWith('spec.temperature_milli')) return 'temperature';
  if (field.startsWith('spec.model_id')) return 'model';
  if (field.startsWith('spec.nonce')) return 'seed';
  return null;
}

/** A TaskIngress refusal as the HTTP status an OpenAI client expects. */
export function ingressError(err: unknown, plan: RequestPlan, account: string): OpenAiError {
  const code = grpcStatusOf(err);
  const details =
    typeof err === 'object' && err !== null && 'details' in err && typeof err.details === 'string' ? err.details : String(err);
  const field = /^([a-z_.[\]0-9]+): /.exec(details)?.[1] ?? '';
  const message = details.replace(/^[a-z_.[\]0-9]+: /, '');
  switch (code) {
    case GrpcStatus.FAILED_PRECONDITION:
      if (field === 'fee')
        return noFunds(`account ${account} cannot pay the task fee: ${message}. Deposit to it (\`aegis deposit\`) and retry.`);
      return new OpenAiError(409, 'invalid_request_error', details, paramOf(field, plan), 'failed_precondition');
    case GrpcStatus.INVALID_ARGUMENT: {
      const param = paramOf(field, plan);
      return param ? badParam(param, message) : new OpenAiError(400, 'invalid_request_error', details, null, 'invalid_value');
    }
    case GrpcStatus.NOT_FOUND:
      return new OpenAiError(404, 'not_found_error', message, 'model', 'model_not_found');
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return tooLarge(paramOf(field, plan), details, 'context_length_exceeded');
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
    case undefined:
      return ingressUnavailable(`the network's TaskIngress is unavailable (${message}); retry with backoff`);
    default:
      return new OpenAiError(502, 'server_error', `TaskIngress refused the task: ${details}`, null, 'ingress_error');
  }
}

/**
 * Runs one planned request as a task: signs it with the client's custodial key, submits it to
 * TaskIngress, follows its status stream to a final status, and reads the accepted tokens.
 */
export class TaskRunner {
  constructor(
    private readonly ingress: IngressClient,
    private readonly taskTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async run(plan: RequestPlan, key: NodeKey, hooks: RunHooks = {}): Promise<TaskOutcome> {
    const spec: TaskSpec = { ...plan.spec, nonce: plan.nonce ?? randomNonce() };
    const hash = hashOf(spec);
    let submitted: { taskHash: Buffer };
    try {
      submitted = await this.ingress.submit(spec, key.address, key.sign(hash));
    } catch (err) {
      throw ingressError(err, plan, key.address);
    }
    hooks.onSubmitted?.(toHex(hash));
    const history: TaskUpdate[] = [];
    let acceptedTokens: readonly number[] = [];
    const deadline = new Date(Date.now() + this.taskTimeoutMs);
    try {
      for await (const { update, tokens } of this.ingress.watch(submitted.taskHash, deadline, hooks.signal)) {
        // The stream starts with the current status; a replayed duplicate is dropped.
        const last = history.at(-1);
        if (last && last.status === update.status && last.node === update.node) continue;
        history.push(update);
        if (update.status === 'ACCEPTED') acceptedTokens = tokens;
        hooks.onUpdate?.(update, tokens);
      }
    } catch (err) {
      if (hooks.signal?.aborted) throw err;
      if (grpcStatusOf(err) === GrpcStatus.DEADLINE_EXCEEDED) {
        throw new OpenAiError(
          504,
          'server_error',
          `task ${toHex(hash)} was not final within ${this.taskTimeoutMs / 1000}s; follow it with \`aegis submit\`-style WatchTask`,
          null,
          'task_timeout',
          { aegis: facts(toHex(hash), history) },
        );
      }
      this.logger.warn({ err: String(err), taskHash: toHex(hash) }, 'status stream broke');
      throw ingressUnavailable(`the status stream of task ${toHex(hash)} broke; the task may still complete`);
    }
    const outcome = facts(toHex(hash), history);
    if (outcome.status !== 'ACCEPTED') return { facts: outcome, tokens: [] };
    // The live ACCEPTED update carries the output; a status read back from storage does not.
    if (acceptedTokens.length > 0) return { facts: outcome, tokens: acceptedTokens };
    const tokens = await this.ingress.outputTokens(submitted.taskHash).catch((err: unknown) => {
      throw ingressError(err, plan, key.address);
    });
    return { facts: outcome, tokens };
  }
}

function facts(taskHash: string, history: readonly TaskUpdate[]): AegisFacts {
  const last = history.at(-1);
  const node = [...history].reverse().find((u) => u.node !== null)?.node ?? null;
  const verdicts = history.filter(
    (u) => VERDICT_STATUSES.has(u.status) || (u.status === 'ACCEPTED' && /verifier|tally/.test(u.detail)) || u.status === 'REJECTED',
  ).length;
  return { taskHash, node, status: last?.status ?? 'QUEUED', verdicts, history };
}
