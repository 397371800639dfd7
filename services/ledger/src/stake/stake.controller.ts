import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { GRPC_SERVICES } from '@aegis/contracts';
import {
  accountWire,
  addressFrom,
  amountFrom,
  entryWire,
  hash32From,
  pageSizeFrom,
  pageTokenFrom,
  parseAmountRequest,
  parseWithdrawRequest,
  signatureFrom,
} from './stake.mapper';
import { StakeService } from './stake.service';
import type { AccountWire, EntryWire, EscrowFeeRequestWire, GetAccountRequestWire, ListEntriesRequestWire, SignedAmountRequestWire, WithdrawRequestWire } from './stake.wire';

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
    return { account: accountWire(await this.stake.account(parsed.signed.address)), replayed: !done.applied, withdrawn: withdrawn.toString() };
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
    const taskHash = hash32From(req.taskHash, 'task_hash');
    const client = addressFrom(req.client, 'client');
    const amount = amountFrom(req.amount, 'amount');
    const done = await this.stake.escrowFee(taskHash, client, amount, signatureFrom(req.clientSignature, 'client_signature'));
    return { account: accountWire(await this.stake.account(client)), replayed: !done.applied };
  }

  private async mutate(parsed: ReturnType<typeof parseAmountRequest>): Promise<MutationResponse> {
    const done = await this.stake.signed(parsed);
    return { account: accountWire(await this.stake.account(parsed.signed.address)), replayed: !done.applied };
  }
}
