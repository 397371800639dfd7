import { GRPC_SERVICES } from '@aegis/contracts';
import { GrpcServiceClient, grpcError, GrpcStatus, grpcStatusOf } from '@aegis/service-kit';

/** Ingress's one call into the ledger: the fee escrow (StakeLedger.EscrowFee). */
export abstract class LedgerClient {
  /** Charges the client once per task hash; throws a gRPC error for the caller to pass on. */
  abstract escrowFee(taskHash: string, client: string, amount: bigint, clientSignature: Uint8Array): Promise<void>;
  abstract close(): void;
}

export class GrpcLedgerClient extends LedgerClient {
  private readonly grpc: GrpcServiceClient;

  constructor(address: string) {
    super();
    this.grpc = new GrpcServiceClient(GRPC_SERVICES.stakeLedger, address);
  }

  async escrowFee(taskHash: string, client: string, amount: bigint, clientSignature: Uint8Array): Promise<void> {
    try {
      await this.grpc.unary('EscrowFee', {
        taskHash: Buffer.from(taskHash.slice(2), 'hex'),
        client: Buffer.from(client.slice(2), 'hex'),
        amount: amount.toString(),
        clientSignature: Buffer.from(clientSignature),
      });
    } catch (err) {
      const code = grpcStatusOf(err);
      const message = err instanceof Error ? err.message.replace(/^\d+ [A-Z_]+: /, '') : String(err);
      // The client's own problems pass through; the ledger being down is ours: UNAVAILABLE.
      if (code === GrpcStatus.FAILED_PRECONDITION || code === GrpcStatus.UNAUTHENTICATED || code === GrpcStatus.INVALID_ARGUMENT) {
        throw grpcError(code, 'fee', message);
      }
      throw grpcError(GrpcStatus.UNAVAILABLE, 'fee', `the ledger could not escrow the fee: ${message}`);
    }
  }

  close(): void {
    this.grpc.close();
  }
}
