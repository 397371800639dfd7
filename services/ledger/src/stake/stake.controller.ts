import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { GRPC_SERVICES } from '@aegis/contracts';
import {
  accountWire,
  addressFrom,
  entryWire,
  escrowListFrom,
  escrowRefusal,
  pageSizeFrom,
  pageTokenFrom,
  parseAmountRequest,
  parseEscrow,
  type ParsedEscrow,
  parseWithdrawRequest,
} from './stake.mapper';
import type { Executed } from '../accounts/ledger.service';
import { StakeService } from './stake.service';
import type {
  AccountWire,
  EntryWire,
  EscrowFeeOutcomeWire,
  EscrowFeeRequestWire,
  EscrowFeesRequestWire,
  GetAccountRequestWire,
  ListEntriesRequestWire,
  SignedAmountRequestWire,
  WithdrawRequestWire,
} from './stake.wire';

const SERVICE = GRPC_SERVICES.stakeLedger.service;

interface MutationResponse {
  account: AccountWire;
  replayed: boolean;
}

/** aegis.ledger.v1.StakeLedger: validates and maps; StakeService decides. */
@Controller()
export class StakeController {
  constructor(private readonly stake: StakeService) {}

  @GrpcMethod(SERVICE, 'Deposit')
  deposit(req: SignedAmountRequestWire): Promise<MutationResponse> {
    return this.mutate(parseAmountRequest('deposit', req));
  }

  @GrpcMethod(SERVICE, 'Stake')
  stakeFunds(req: SignedAmountRequestWire): Promise<MutationResponse> {
    return this.mutate(parseAmountRequest('stake', req));
  }

  @GrpcMethod(SERVICE, 'RequestUnstake')
  requestUnstake(req: SignedAmountRequestWire): Promise<MutationResponse> {
    return this.mutate(parseAmountRequest('request-unstake', req));
  }

  @GrpcMethod(SERVICE, 'Withdraw')
  async withdraw(req: WithdrawRequestWire): Promise<MutationResponse & { withdrawn: string }> {
    const parsed = parseWithdrawRequest(req);
    const done = await this.stake.signed(parsed);
    const withdrawn = done.entry.postings.filter((p) => p.amount > 0n).reduce((sum, p) => sum + p.amount, 0n);
    return {
      account: accountWire(await this.stake.account(parsed.signed.address)),
      replayed: !done.applied,
      withdrawn: withdrawn.toString(),
    };
  }

  @GrpcMethod(SERVICE, 'GetAccount')
  async getAccount(req: GetAccountRequestWire): Promise<{ account: AccountWire }> {
    return { account: accountWire(await this.stake.account(addressFrom(req.address, 'address'))) };
  }

  @GrpcMethod(SERVICE, 'ListEntries')
  async listEntries(req: ListEntriesRequestWire): Promise<{ entries: EntryWire[]; nextPageToken: string }> {
    const page = await this.stake.entries(addressFrom(req.address, 'address'), pageSizeFrom(req.pageSize), pageTokenFrom(req.pageToken));
    return { entries: page.entries.map(entryWire), nextPageToken: page.nextAfter?.toString() ?? '' };
  }

  @GrpcMethod(SERVICE, 'EscrowFee')
  async escrowFee(req: EscrowFeeRequestWire): Promise<MutationResponse> {
    const escrow = parseEscrow(req);
    const done = await this.stake.escrowFee(escrow);
    return { account: accountWire(await this.stake.account(escrow.client)), replayed: !done.applied };
  }

  /** Each escrow validated and answered on its own; only a malformed list fails the call. */
  @GrpcMethod(SERVICE, 'EscrowFees')
  async escrowFees(req: EscrowFeesRequestWire): Promise<{ outcomes: EscrowFeeOutcomeWire[] }> {
    const outcomes: (EscrowFeeOutcomeWire | undefined)[] = [];
    const valid: { at: number; escrow: ParsedEscrow; fieldPrefix: string }[] = [];
    escrowListFrom(req).forEach((item, at) => {
      const fieldPrefix = `escrows[${at}].`;
      try {
        valid.push({ at, escrow: parseEscrow(item, fieldPrefix), fieldPrefix });
      } catch (err) {
        outcomes[at] = escrowRefusal(err);
      }
    });
    const answers = this.stake.escrowFees(valid);
    await Promise.all(
      valid.map(async ({ at }, j) => {
        try {
          outcomes[at] = { code: 0, message: '', replayed: !(await (answers[j] as Promise<Executed>)).applied };
        } catch (err) {
          outcomes[at] = escrowRefusal(err);
        }
      }),
    );
    return {
      outcomes: outcomes.map((o) => {
        if (o === undefined) throw new Error('ledger bug: an escrow got no outcome');
        return o;
      }),
    };
  }

  private async mutate(parsed: ReturnType<typeof parseAmountRequest>): Promise<MutationResponse> {
    const done = await this.stake.signed(parsed);
    return { account: accountWire(await this.stake.account(parsed.signed.address)), replayed: !done.applied };
  }
}
