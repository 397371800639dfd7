import { status as GrpcStatus } from '@grpc/grpc-js';
import { RpcException } from '@nestjs/microservices';

export { GrpcStatus };

/**
 * A gRPC status for a handler to throw: `field` leads the message so a client (and a test) sees
 * which input was refused. The transport filter hands `{ code, message }` to grpc-js as is.
 */
export function grpcError(code: GrpcStatus, field: string, message: string): RpcException {
  return new RpcException({ code, message: `${field}: ${message}`, details: `${field}: ${message}` });
}

/** The gRPC status code carried by an error from a grpc-js client call, if any. */
export function grpcStatusOf(err: unknown): GrpcStatus | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return err.code as GrpcStatus;
  return undefined;
}
