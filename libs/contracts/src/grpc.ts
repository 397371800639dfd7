import type { Options as ProtoLoaderOptions } from '@grpc/proto-loader';
import { resolve } from 'node:path';

/**
 * The .proto tree, for @grpc/proto-loader (NestJS's gRPC transport) and for buf. Resolved from
 * this file so it holds from any working directory.
 */
export const PROTO_ROOT = resolve(__dirname, '../../../proto');

export interface GrpcServiceContract {
  /** Proto package, e.g. `aegis.ingress.v1` (NestJS `package` option). */
  readonly package: string;
  /** Service name within the package (NestJS `@GrpcMethod(service, method)`). */
  readonly service: string;
  /** Fully qualified name, as gRPC health checking and reflection report it. */
  readonly fullName: string;
  /** Path of the defining file relative to PROTO_ROOT (NestJS `protoPath` with `includeDirs: [PROTO_ROOT]`). */
  readonly protoPath: string;
}

export const GRPC_SERVICES = {
  taskIngress: {
    package: 'aegis.ingress.v1',
    service: 'TaskIngress',
    fullName: 'aegis.ingress.v1.TaskIngress',
    protoPath: 'aegis/ingress/v1/ingress.proto',
  },
  stakeLedger: {
    package: 'aegis.ledger.v1',
    service: 'StakeLedger',
    fullName: 'aegis.ledger.v1.StakeLedger',
    protoPath: 'aegis/ledger/v1/ledger.proto',
  },
} as const satisfies Record<string, GrpcServiceContract>;

/** StakeLedger.EscrowFees' bound on escrows per call (ledger.proto): what the ledger accepts and ingress sends. */
export const MAX_ESCROWS_PER_CALL = 256;

/** Options every proto-loader call should use, so TypeScript and the wire agree on shapes. */
export const PROTO_LOADER_OPTIONS: ProtoLoaderOptions = {
  includeDirs: [PROTO_ROOT],
  // Field names as in the generated TypeScript (camelCase); bytes as Buffer; 64-bit as decimal
  // strings (no precision loss); enums by name; defaults filled so absent fields are not undefined.
  keepCase: false,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  oneofs: true,
};
