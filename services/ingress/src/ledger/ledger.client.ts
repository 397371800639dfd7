import { BatchRunner } from '@aegis/bus';
import { GRPC_SERVICES, MAX_ESCROWS_PER_CALL } from '@aegis/contracts';
import { GrpcServiceClient, grpcError, GrpcStatus, grpcStatusOf } from '@aegis/service-kit';

/** Ingress's one call into the ledger: the fee escrow (StakeLedger.EscrowFees). */
export abstract class LedgerClient {
  /**
   * Charges the client once per task hash, only with its signature over the task hash; throws a
   * gRPC error for the caller to pass on (UNAUTHENTICATED naming `signature` for a bad signature).
   */
  abstract escrowFee(taskHash: string, client: string, amount: bigint, clientSignature: Uint8Array): Promise<void>;
  abstract close(): void;
}

interface Escrow {
  readonly taskHash: string;
  readonly client: string;
  readonly amount: bigint;
  readonly clientSignature: Uint8Array;
}

/** What the ledger answered for one escrow: code 0 or EscrowFee's status for it alone. */
interface EscrowOutcomeWire {
  readonly code: number;
  readonly message: string;
}

/**
 * Escrows of concurrent submissions go out together: while one EscrowFees call is in flight,
 * the escrows that arrive wait and share the next call (BatchRunner), so the ledger applies them
 * as one batch instead of one gRPC round trip and one transaction each. Every escrow is
 * answered on its own; a call that fails as a whole (ledger down) is retried escrow by escrow,
 * which is safe because the task hash is the escrow's idempotency key.
 */
export class GrpcLedgerClient extends LedgerClient {
  private readonly grpc: GrpcServiceClient;
  private readonly escrows = new BatchRunner<Escrow, EscrowOutcomeWire>((batch) => this.escrowBatch(batch), MAX_ESCROWS_PER_CALL);

  constructor(address: string) {
    super();
    this.grpc = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, address);
  }

  async escrowFee(taskHash: string, client: string, amount: bigint, clientSignature: Uint8Array): Promise<void> {
    let outcome: EscrowOutcomeWire;
    try {
      outcome = await this.escrows.run({ taskHash, client, amount, clientSignature });
    } catch (err) {
      outcome = {
        code: grpcStatusOf(err) ?? GrpcStatus.UNKNOWN,
        message: err instanceof Error ? err.message.replace(/^\d+ [A-Z_]+: /, '') : String(err),
      };
    }
    if (outcome.code === GrpcStatus.OK) return;
    // The ledger is where a new task's signature is checked: its refusal is the request's.
    if (outcome.code === GrpcStatus.UNAUTHENTICATED)
      throw grpcError(GrpcStatus.UNAUTHENTICATED, 'signature', `not ${client}'s signature over the task hash`);
    // The client's own problems pass through; the ledger being down is ours: UNAVAILABLE.
    if (outcome.code === GrpcStatus.FAILED_PRECONDITION || outcome.code === GrpcStatus.INVALID_ARGUMENT) {
      // The ledger names the field within its list ("escrows[3].client_signature"); the place in
      // a batch means nothing to the client who submitted this one task.
      throw grpcError(outcome.code, 'fee', outcome.message.replace(/^escrows\[\d+\]\./, ''));
    }
    throw grpcError(GrpcStatus.UNAVAILABLE, 'fee', `the ledger could not escrow the fee: ${outcome.message}`);
  }

  close(): void {
    this.grpc.close();
  }

  private async escrowBatch(batch: readonly Escrow[]): Promise<EscrowOutcomeWire[]> {
    const { outcomes } = await this.grpc.unary<{ outcomes: EscrowOutcomeWire[] }>('EscrowFees', {
      escrows: batch.map((e) => ({
        taskHash: Buffer.from(e.taskHash.slice(2), 'hex'),
        client: Buffer.from(e.client.slice(2), 'hex'),
        amount: e.amount.toString(),
        clientSignature: Buffer.from(e.clientSignature),
      })),
    });
    return outcomes;
  }
}
