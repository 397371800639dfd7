import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ErrorKind } from '@aegis/protocol';

/** The one mapping from the project's error kinds to gRPC status codes (every service's edge). */
export const GRPC_STATUS_OF_KIND: Readonly<Record<ErrorKind, GrpcStatus>> = {
  invalid: GrpcStatus.INVALID_ARGUMENT,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  'not-found': GrpcStatus.NOT_FOUND,
  conflict: GrpcStatus.ALREADY_EXISTS,
  precondition: GrpcStatus.FAILED_PRECONDITION,
  exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  unavailable: GrpcStatus.UNAVAILABLE,
  internal: GrpcStatus.INTERNAL,
};

export function grpcStatusOfKind(kind: ErrorKind): GrpcStatus {
  return GRPC_STATUS_OF_KIND[kind];
}
