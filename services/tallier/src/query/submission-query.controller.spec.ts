import { InProcessEventBus } from '@aegis/bus';
import { ALL_TOPICS, CONSUMER_GROUPS, getSubmissionResponseFromGrpc, SUBMISSION_QUERY, StakeView } from '@aegis/contracts';
import { toHex } from '@aegis/protocol';
import { bootstrapService, GrpcServiceClient, grpcHealthStatus, grpcStatusOf, GrpcStatus, type RunningService } from '@aegis/service-kit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock';
import { TallierService } from '../submissions/tallier.service';
import { TallierModule } from '../tallier.module';
import { InMemoryTallierStore } from '../testing/in-memory-tallier.store';
import { resultMessage, tallierTestOptions, taskSpec, testKey } from '../testing/tallier.fixtures';

describe('SubmissionQuery on the tallier', () => {
  let service: RunningService;
  let bus: InProcessEventBus;
  let client: GrpcServiceClient;
  const submitter = testKey(0);

  beforeAll(async () => {
    bus = new InProcessEventBus({ topics: ALL_TOPICS });
    const stakeView = new StakeView(100n);
    for (const k of [submitter, testKey(1), testKey(2), testKey(3)]) stakeView.set(k.address, 1_000n);
    service = await bootstrapService({
      name: 'tallier',
      module: TallierModule.forRoot({ options: tallierTestOptions(new ManualClock()), store: new InMemoryTallierStore(), stakeView }),
      logger: pino({ level: 'silent' }),
      bus,
      ownsBus: false,
      host: '127.0.0.1',
      grpc: { port: 0, services: [SUBMISSION_QUERY] },
      metricsPort: null,
      consumer: { groupId: CONSUMER_GROUPS.tallier },
      handleSignals: false,
    });
    client = new GrpcServiceClient(SUBMISSION_QUERY, `127.0.0.1:${service.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await service?.close();
    await bus?.close();
  });

  it('returns a recorded submission as announced, NOT_FOUND for an unknown one, INVALID_ARGUMENT naming the field', async () => {
    const result = resultMessage(submitter, taskSpec(7n));
    expect(await service.app.get(TallierService).onResult(result, 1)).toBe('recorded');
    const response = getSubmissionResponseFromGrpc(
      await client.unary<object>('GetSubmission', { submissionId: Buffer.from(result.digest) }),
    );
    expect(response.disputed).toBe(false);
    expect(toHex(response.submission?.result?.digest ?? new Uint8Array())).toBe(toHex(result.digest));
    expect(toHex(response.submission?.result?.signature ?? new Uint8Array())).toBe(toHex(result.signature));
    expect(response.submission?.result?.spec?.nonce).toBe(7n);
    expect(response.submission?.beacon?.height).toBe(1n);
    expect(response.submission?.verifiersPerTask).toBe(3);

    const unknown = await client.unary('GetSubmission', { submissionId: Buffer.alloc(32, 1) }).catch((e: unknown) => e);
    expect(grpcStatusOf(unknown)).toBe(GrpcStatus.NOT_FOUND);
    const bad = await client.unary('GetSubmission', { submissionId: Buffer.alloc(3) }).catch((e: unknown) => e);
    expect(grpcStatusOf(bad)).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect((bad as Error).message).toContain('submission_id');
  });

  it('serves health on the same port', async () => {
    expect(await grpcHealthStatus(service.grpcPort)).toBe('SERVING');
  });
});
