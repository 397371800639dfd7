import { create, toBinary } from '@bufbuild/protobuf';
import { GetSubmissionResponseSchema, PROTO_LOADER_OPTIONS, SUBMISSION_QUERY, SubmissionSchema } from '@aegis/contracts';
import { toHex } from '@aegis/protocol';
import { GrpcStatus } from '@aegis/service-kit';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServiceClientConstructor,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TallierSubmissionLookup } from './tallier-submission.lookup';

const KNOWN = new Uint8Array(32).fill(7);
const FAILING = new Uint8Array(32).fill(9);

describe('TallierSubmissionLookup', () => {
  let server: Server;
  let sut: TallierSubmissionLookup;
  const asked: string[] = [];

  beforeAll(async () => {
    // A stand-in tallier: SubmissionQuery from the same proto, answering by submission id.
    const definition = loadSync(SUBMISSION_QUERY.protoPath, PROTO_LOADER_OPTIONS);
    const pkg = loadPackageDefinition(definition) as unknown as {
      aegis: { tallier: { v1: { SubmissionQuery: ServiceClientConstructor } } };
    };
    const method = definition[SUBMISSION_QUERY.fullName] as unknown as { GetSubmission: { responseDeserialize(b: Buffer): object } };
    server = new Server();
    server.addService(pkg.aegis.tallier.v1.SubmissionQuery.service, {
      GetSubmission: (call: ServerUnaryCall<{ submissionId: Buffer }, object>, callback: sendUnaryData<object>) => {
        const id = toHex(call.request.submissionId);
        asked.push(id);
        if (id === toHex(FAILING)) return callback({ code: GrpcStatus.UNAVAILABLE, details: 'tallier restarting' });
        if (id !== toHex(KNOWN)) return callback({ code: GrpcStatus.NOT_FOUND, details: 'submission_id: unknown' });
        const submission = create(SubmissionSchema, {
          result: { digest: KNOWN, tokens: [4, 5] },
          beacon: { height: 12n },
          verifiersPerTask: 3,
        });
        const bytes = toBinary(GetSubmissionResponseSchema, create(GetSubmissionResponseSchema, { submission, disputed: true }));
        callback(null, method.GetSubmission.responseDeserialize(Buffer.from(bytes)));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    sut = new TallierSubmissionLookup(`127.0.0.1:${port}`, 2_000);
  });
  afterAll(() => {
    sut?.close();
    server?.forceShutdown();
  });

  it('returns the submission the tallier knows, with its dispute flag and 64-bit fields intact', async () => {
    const found = await sut.getSubmission(toHex(KNOWN));
    expect(found?.disputed).toBe(true);
    expect(toHex(found?.submission.result?.digest ?? new Uint8Array())).toBe(toHex(KNOWN));
    expect(found?.submission.result?.tokens).toEqual([4, 5]);
    expect(found?.submission.beacon?.height).toBe(12n);
    expect(found?.submission.verifiersPerTask).toBe(3);
    expect(asked).toContain(toHex(KNOWN));
  });

  it('answers undefined for NOT_FOUND and throws on any other status (the verdict is retried)', async () => {
    expect(await sut.getSubmission(toHex(new Uint8Array(32).fill(1)))).toBeUndefined();
    await expect(sut.getSubmission(toHex(FAILING))).rejects.toMatchObject({ code: GrpcStatus.UNAVAILABLE });
  });
});
