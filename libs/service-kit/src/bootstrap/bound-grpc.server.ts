import { ServerCredentials, type ServerCredentials as Credentials } from '@grpc/grpc-js';
import { ServerGrpc, type GrpcOptions } from '@nestjs/microservices';
import { StrictDecodingServer } from './malformed-request';

/**
 * Nest's gRPC transport, except that it records the port it bound (with port 0, in tests and
 * the devnet, the OS picks one and callers need to know which) and answers undecodable requests
 * INVALID_ARGUMENT (StrictDecodingServer).
 */
export class BoundGrpcServer extends ServerGrpc {
  private bound: Promise<number>;
  private resolveBound!: (port: number) => void;

  constructor(private readonly grpcOptions: GrpcOptions['options']) {
    super(grpcOptions);
    this.bound = new Promise((resolve) => (this.resolveBound = resolve));
  }

  /** Resolves with the bound port once the server listens. */
  port(): Promise<number> {
    return this.bound;
  }

  override async createClient(): Promise<StrictDecodingServer> {
    const server = new StrictDecodingServer({
      ...(this.grpcOptions.channelOptions ?? {}),
      'grpc.max_receive_message_length': this.grpcOptions.maxReceiveMessageLength ?? 4 * 1024 * 1024,
    });
    const credentials = (this.grpcOptions.credentials as Credentials | undefined) ?? ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(this.url, credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.resolveBound(port);
    return server;
  }
}
