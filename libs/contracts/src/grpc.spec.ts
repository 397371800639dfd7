import { create, toBinary } from '@bufbuild/protobuf';
import * as protoLoader from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SubmitTaskRequestSchema } from './gen/aegis/ingress/v1/ingress_pb';
import { GRPC_SERVICES, PROTO_LOADER_OPTIONS, PROTO_ROOT } from './grpc';

type MethodDefinition = protoLoader.MethodDefinition<object, object>;

function loadService(contract: (typeof GRPC_SERVICES)[keyof typeof GRPC_SERVICES]): Record<string, MethodDefinition> {
  const definition = protoLoader.loadSync(contract.protoPath, PROTO_LOADER_OPTIONS);
  const service = definition[contract.fullName];
  if (!service || !('SubmitTask' in service || 'Stake' in service)) throw new Error(`${contract.fullName} not found`);
  return service as unknown as Record<string, MethodDefinition>;
}

describe('gRPC contracts as @grpc/proto-loader (NestJS) sees them', () => {
  it('point at proto files that exist', () => {
    for (const contract of Object.values(GRPC_SERVICES)) {
      expect(existsSync(join(PROTO_ROOT, contract.protoPath))).toBe(true);
      expect(contract.fullName).toBe(`${contract.package}.${contract.service}`);
    }
  });

  it('TaskIngress has SubmitTask, GetTask and a server-streaming WatchTask', () => {
    const svc = loadService(GRPC_SERVICES.taskIngress);
    expect(Object.keys(svc).sort()).toEqual(['GetTask', 'SubmitTask', 'WatchTask']);
    expect(svc.WatchTask?.responseStream).toBe(true);
    expect(svc.WatchTask?.requestStream).toBe(false);
    expect(svc.SubmitTask?.responseStream).toBe(false);
  });

  it('StakeLedger has the node-facing ledger calls', () => {
    const svc = loadService(GRPC_SERVICES.stakeLedger);
    expect(Object.keys(svc)).toEqual(
      expect.arrayContaining(['Deposit', 'GetAccount', 'ListEntries', 'RequestUnstake', 'Stake', 'Withdraw']),
    );
  });

  it('decodes what the generated TypeScript encodes, 64-bit values as decimal strings', () => {
    const svc = loadService(GRPC_SERVICES.taskIngress);
    const bytes = toBinary(
      SubmitTaskRequestSchema,
      create(SubmitTaskRequestSchema, {
        spec: {
          modelId: 'tiny',
          promptTokens: [1, 2, 3],
          maxNewTokens: 8,
          topK: 4,
          temperatureMilli: 700,
          stopTokens: [0],
          nonce: 2n ** 64n - 1n,
        },
      }),
    );
    const decoded = svc.SubmitTask?.requestDeserialize(Buffer.from(bytes));
    expect(decoded).toMatchObject({
      spec: {
        modelId: 'tiny',
        promptTokens: [1, 2, 3],
        maxNewTokens: 8,
        topK: 4,
        temperatureMilli: 700,
        stopTokens: [0],
        nonce: '18446744073709551615',
      },
    });
  });
});
