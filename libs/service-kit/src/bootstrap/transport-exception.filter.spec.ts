import type { ArgumentsHost } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import pino from 'pino';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LedgerError, LedgerErrorCode } from '@aegis/ledger/core';
import { ModelError, ModelErrorCode } from '@aegis/model/descriptor';
import { ProtocolError, ProtocolErrorCode } from '@aegis/protocol';
import { TransportExceptionFilter } from './transport-exception.filter';

const grpcHost = { getArgByIndex: () => ({}) } as unknown as ArgumentsHost;

async function statusFor(exception: unknown): Promise<{ code: number; message: string }> {
  const filter = new TransportExceptionFilter(pino({ level: 'silent' }));
  return firstValueFrom(filter.catch(exception, grpcHost)).then(
    () => {
      throw new Error('the filter must fail the call');
    },
    (err: unknown) => err as { code: number; message: string },
  );
}

describe('TransportExceptionFilter', () => {
  it('answers UNAVAILABLE (retryable) when Postgres cannot be reached', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect((await statusFor(refused)).code).toBe(GrpcStatus.UNAVAILABLE);
    expect((await statusFor(new Error('Connection terminated unexpectedly'))).code).toBe(GrpcStatus.UNAVAILABLE);
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const typeorm = Object.assign(new Error('query failed'), { driverError: shutdown });
    expect((await statusFor(typeorm)).code).toBe(GrpcStatus.UNAVAILABLE);
  });

  it('answers INTERNAL without the message for a bug', async () => {
    expect(await statusFor(new TypeError('x is undefined'))).toEqual({ code: GrpcStatus.INTERNAL, message: 'internal error' });
    const constraint = Object.assign(new Error('duplicate key'), { code: '23505' });
    expect((await statusFor(constraint)).code).toBe(GrpcStatus.INTERNAL);
  });

  it('answers any error of the family with the status of its kind and the message naming the field', async () => {
    const funds = await statusFor(new LedgerError(LedgerErrorCode.INSUFFICIENT_FUNDS, 'amount', 'balance 5 < 7'));
    expect(funds.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(funds.message).toMatch(/\(amount\): balance 5 < 7/);
    expect(await statusFor(new ProtocolError(ProtocolErrorCode.BAD_SIGNATURE, 'does not recover', 'signature'))).toMatchObject({
      code: GrpcStatus.UNAUTHENTICATED,
      message: 'signature: does not recover',
    });
    expect((await statusFor(new ModelError(ModelErrorCode.UnknownModel, 'modelId', 'not served here'))).code).toBe(GrpcStatus.NOT_FOUND);
    // Kind internal is a bug of ours: no detail leaves the service.
    expect(await statusFor(new ModelError(ModelErrorCode.Runtime, 'session', 'onnxruntime crashed'))).toEqual({
      code: GrpcStatus.INTERNAL,
      message: 'internal error',
    });
  });
});
