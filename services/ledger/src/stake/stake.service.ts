import { Inject, Injectable } from '@nestjs/common';
import { isStakeRequestSignedBy, type LedgerCommand } from '@aegis/ledger';
import { SignerCache } from '@aegis/protocol';
import { grpcError, GrpcStatus } from '@aegis/service-kit';
import { LedgerService, type Executed } from '../accounts/ledger.service';
import type { AccountView, EntryPage } from '../accounts/ledger.repository';
import { DEFAULT_MAX_ESCROW_FEE, type LedgerConfig } from '../ledger.config';
import { LEDGER_CONFIG } from '../ledger.constants';
import { toGrpcError, type ParsedEscrow, type ParsedSignedRequest } from './stake.mapper';

/** StakeLedger's rules at the edge: who may ask for what, before the ledger rules decide. */
@Injectable()
export class StakeService {
  /** A client's fee escrows are all signed by the same key: after the first, checked without recovery. */
  private readonly feeSigners = new SignerCache();

  constructor(
    private readonly ledger: LedgerService,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
  ) {}

  async signed(request: ParsedSignedRequest): Promise<Executed> {
    if (request.signed.method === 'deposit' && !this.config.faucet) {
      throw grpcError(GrpcStatus.FAILED_PRECONDITION, 'deposit', 'the faucet is disabled (devnet only)');
    }
    if (!isStakeRequestSignedBy(request.signed, request.signature)) {
      throw grpcError(GrpcStatus.UNAUTHENTICATED, 'signature', `not a signature of this request by ${request.signed.address}`);
    }
    return this.run(request.command);
  }

  /** Ingress's fee escrow: valid only with the client's own signature over the task hash. */
  async escrowFee(escrow: ParsedEscrow): Promise<Executed> {
    return this.run(this.escrowCommand(escrow));
  }

  /**
   * Several escrows, applied as one ledger batch; each answered as escrowFee would have answered
   * it alone (its Executed, or the gRPC error of its refusal, naming `fieldPrefix` + the field).
   */
  escrowFees(items: readonly { escrow: ParsedEscrow; fieldPrefix: string }[]): Promise<Executed>[] {
    const answers: Promise<Executed>[] = [];
    const commands: LedgerCommand[] = [];
    const slots: number[] = [];
    items.forEach(({ escrow, fieldPrefix }, i) => {
      try {
        commands.push(this.escrowCommand(escrow, fieldPrefix));
        slots.push(i);
      } catch (err) {
        answers[i] = Promise.reject(err);
      }
    });
    this.ledger.executeAll(commands).forEach((executed, j) => {
      answers[slots[j] as number] = executed.catch((err: unknown) => {
        throw toGrpcError(err);
      });
    });
    return answers;
  }

  /** The escrow's ledger command, once the client's signature over the task hash is checked. */
  private escrowCommand({ taskHash, client, amount, clientSignature }: ParsedEscrow, fieldPrefix = ''): LedgerCommand {
    // A fee is a price, not a transfer: an unbounded one would let a bad caller lock any balance
    // in an escrow (refundable only by an operator, `aegis ledger refund-escrows`).
    const max = this.config.maxEscrowFee ?? DEFAULT_MAX_ESCROW_FEE;
    if (amount > max)
      throw grpcError(
        GrpcStatus.INVALID_ARGUMENT,
        `${fieldPrefix}amount`,
        `${amount} is above the largest fee, ${max} (AEGIS_MAX_ESCROW_FEE)`,
      );
    if (!this.feeSigners.verify(Buffer.from(taskHash.slice(2), 'hex'), clientSignature, client)) {
      throw grpcError(GrpcStatus.UNAUTHENTICATED, `${fieldPrefix}client_signature`, `not ${client}'s signature over the task hash`);
    }
    return { kind: 'escrow-fee', key: `escrow:${taskHash}`, taskId: taskHash, client, amount };
  }

  account(address: string): Promise<AccountView> {
    return this.ledger.account(address);
  }

  entries(address: string, pageSize: number, after: bigint): Promise<EntryPage> {
    return this.ledger.entriesOf(address, pageSize, after);
  }

  private async run(command: LedgerCommand): Promise<Executed> {
    try {
      return await this.ledger.execute(command);
    } catch (err) {
      throw toGrpcError(err);
    }
  }
}
