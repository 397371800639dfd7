// The embedded devnet: the whole network in one process (`aegis devnet`).
export {
  Devnet,
  DEFAULT_DEVNET_OPTIONS,
  DEVNET_DATABASE_URL_FILE,
  DEVNET_CONTROL_ADDRESS_FILE,
  formatProgress,
  type DevnetOptions,
  type DevnetSummary,
  type DevnetNode,
  type DevnetAnswer,
  type DevnetTaskOptions,
} from './devnet';
export { DevnetMonitor, type DevnetCounts } from './devnet.monitor';
export { startEmbeddedPostgres, freePort, type EmbeddedPostgresHandle } from './embedded.postgres';
export { noopResult, startNoopWorker } from './noop.worker';
export { CHEAT_BEHAVIORS, cheatingProducer, lazyVerdicts, parseCheatBehavior, type CheatBehavior, type ResultCheat } from './cheats';
export { startOperatorNode, waitServing, type OperatorNode, type OperatorNodeOptions } from './operator.node';
