import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, type GrpcServiceContract } from '@aegis/contracts';

type UnaryMethod = (
  request: object,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: Error | null, response?: unknown) => void,
) => void;

/**
 * A grpc-js client for one of the project's services, loaded from proto/ with the same
 * PROTO_LOADER_OPTIONS the servers use, so both ends see the same plain-object shapes.
 */
export class GrpcServiceClient {
  readonly client: Client;

  constructor(contract: GrpcServiceContract, address: string) {
    const definition = loadSync(contract.protoPath, PROTO_LOADER_OPTIONS);
    let node: unknown = loadPackageDefinition(definition);
    for (const part of contract.fullName.split('.')) node = (node as Record<string, unknown>)[part];
    const Ctor = node as ServiceClientConstructor;
    this.client = new Ctor(address, credentials.createInsecure());
  }

  /** One unary call; rejects with the grpc-js ServiceError (its `code` is the status). */
  unary<Res>(method: string, request: object, timeoutMs = 10_000): Promise<Res> {
    const fn = (this.client as unknown as Record<string, UnaryMethod | undefined>)[method];
    if (typeof fn !== 'function') throw new Error(`${method}: not a method of this service`);
    return new Promise((resolve, reject) =>
      fn.call(this.client, request, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, res) =>
        err ? reject(err) : resolve(res as Res),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}
