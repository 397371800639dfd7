import { create, fromBinary, type MessageInitShape, toBinary } from '@bufbuild/protobuf';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { type GetSubmissionResponse, GetSubmissionResponseSchema } from './gen/aegis/tallier/v1/tallier_pb';
import { type GrpcServiceContract, PROTO_LOADER_OPTIONS } from './grpc';

/** The tallier's SubmissionQuery (proto/aegis/tallier/v1/tallier.proto), served on its AEGIS_GRPC_PORT. */
export const SUBMISSION_QUERY = {
  package: 'aegis.tallier.v1',
  service: 'SubmissionQuery',
  fullName: 'aegis.tallier.v1.SubmissionQuery',
  protoPath: 'aegis/tallier/v1/tallier.proto',
} as const satisfies GrpcServiceContract;

let method: MethodDefinition<object, object> | undefined;
function getSubmissionMethod(): MethodDefinition<object, object> {
  if (!method) {
    const service = loadSync(SUBMISSION_QUERY.protoPath, PROTO_LOADER_OPTIONS)[SUBMISSION_QUERY.fullName] as
      Record<string, MethodDefinition<object, object>> | undefined;
    method = service?.GetSubmission;
  }
  if (!method) throw new Error(`${SUBMISSION_QUERY.fullName}.GetSubmission: not in ${SUBMISSION_QUERY.protoPath}`);
  return method;
}

/**
 * GetSubmissionResponse between protobuf-es (what the services use) and the plain objects of
 * @grpc/proto-loader (what Nest's gRPC transport and GrpcServiceClient speak), through the wire
 * bytes, so nested messages (Result, beacon, Timestamp, 64-bit fields) need no hand mapping.
 */
export function getSubmissionResponseToGrpc(init: MessageInitShape<typeof GetSubmissionResponseSchema>): object {
  const bytes = toBinary(GetSubmissionResponseSchema, create(GetSubmissionResponseSchema, init));
  return getSubmissionMethod().responseDeserialize(Buffer.from(bytes));
}

export function getSubmissionResponseFromGrpc(plain: object): GetSubmissionResponse {
  return fromBinary(GetSubmissionResponseSchema, getSubmissionMethod().responseSerialize(plain));
}
