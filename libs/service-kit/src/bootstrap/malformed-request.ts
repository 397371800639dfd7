import {
  Server,
  ServerInterceptingCall,
  status as GrpcStatus,
  type ServerInterceptor,
  type ServerOptions,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

/** Stands in for a request whose bytes did not decode, so the interceptor below can refuse it. */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

/**
 * grpc-js answers a request that fails to deserialize with INTERNAL "Error deserializing
 * request", which reads as a server bug and tells the client nothing. Undecodable bytes are the
 * caller's mistake: this server answers INVALID_ARGUMENT naming the request instead. Each
 * method's deserializer returns a MalformedRequest instead of throwing, and an interceptor
 * refuses the call before any handler sees it.
 */
export class StrictDecodingServer extends Server {
  constructor(options: ServerOptions = {}) {
    super({ ...options, interceptors: [refuseMalformed, ...(options.interceptors ?? [])] });
  }

  override addService(service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    const tolerant = Object.fromEntries(
      Object.entries(service).map(([name, method]) => [
        name,
        {
          ...method,
          requestDeserialize: (bytes: Buffer): unknown => {
            try {
              return method.requestDeserialize(bytes);
            } catch (err) {
              return new MalformedRequest(err instanceof Error ? err.message : String(err));
            }
          },
        },
      ]),
    ) as ServiceDefinition;
    super.addService(tolerant, implementation);
  }
}

const refuseMalformed: ServerInterceptor = (_method, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message: unknown, forward: (message: unknown) => void) => {
          if (message instanceof MalformedRequest) {
            call.sendStatus({ code: GrpcStatus.INVALID_ARGUMENT, details: `request: not a valid protobuf message (${message.reason})` });
            return;
          }
          forward(message);
        },
      }),
  });
