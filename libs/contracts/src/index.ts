/**
 * @aegis/contracts: the names and shapes everything on the wire agrees on. Topic names, consumer
 * groups, client ids, gRPC service names and the TypeScript types generated from proto/ by
 * `npm run proto:gen` (protoc-gen-es; never edit src/gen by hand).
 */
export * from './contracts.errors';
export * from './topics';
export * from './topic.codec';
export * from './services';
export * from './grpc';
export * from './keys';

export * from './gen/aegis/task/v1/task_pb';
export * from './gen/aegis/events/v1/task_events_pb';
export * from './gen/aegis/events/v1/result_events_pb';
export * from './gen/aegis/events/v1/verdict_events_pb';
export * from './gen/aegis/events/v1/dispute_events_pb';
export * from './gen/aegis/events/v1/ledger_events_pb';
export * from './gen/aegis/events/v1/dead_letter_pb';
export * from './gen/aegis/ledger/v1/ledger_types_pb';
export * from './gen/aegis/ledger/v1/ledger_pb';
export * from './gen/aegis/ingress/v1/ingress_pb';
export * from './gen/aegis/tallier/v1/tallier_pb';
export * from './tallier.grpc';
export * from './wire.mapping';
export * from './stake.view';
