import type { Command } from 'commander';

/** A subcommand module adds itself to its parent command. */
export type RegisterCommand = (parent: Command) => void;

/** A subcommand by name, and how to load the module that registers it. */
export interface LazyCommand {
  readonly name: string;
  readonly load: () => Promise<RegisterCommand>;
}

// Top-level subcommands (`aegis <name>`), one module each. Loaded on demand: the devnet pulls in
// NestJS, TypeORM and every service, and a benchmark's process should hold only what it measures
// (a 30 MB larger heap made every full garbage collection in `bench asli` about three times longer).
export const COMMANDS: readonly LazyCommand[] = [
  { name: 'simulate', load: async () => (await import('./simulate.command')).registerSimulate },
  { name: 'model', load: async () => (await import('./model.command')).registerModelCommand },
  { name: 'audit', load: async () => (await import('./audit.command')).registerAuditCommand },
  { name: 'kafka', load: async () => (await import('./kafka.command')).registerKafkaCommand },
  { name: 'db', load: async () => (await import('./db.command')).registerDbCommand },
  { name: 'devnet', load: async () => (await import('./devnet.command')).registerDevnetCommand },
  { name: 'submit', load: async () => (await import('./submit.command')).registerSubmitCommand },
  { name: 'load', load: async () => (await import('./load.command')).registerLoadCommand },
  { name: 'keys', load: async () => (await import('./keys.command')).registerKeysCommand },
  { name: 'account', load: async () => (await import('./money.command')).registerAccountCommand },
  { name: 'deposit', load: async () => (await import('./money.command')).registerDepositCommand },
  { name: 'stake', load: async () => (await import('./money.command')).registerStakeCommand },
  { name: 'unstake', load: async () => (await import('./money.command')).registerUnstakeCommand },
  { name: 'withdraw', load: async () => (await import('./money.command')).registerWithdrawCommand },
  { name: 'entries', load: async () => (await import('./money.command')).registerEntriesCommand },
  { name: 'node', load: async () => (await import('./node.command')).registerNodeCommand },
  { name: 'network', load: async () => (await import('./network.command')).registerNetworkCommand },
  { name: 'ledger', load: async () => (await import('./ledger.command')).registerLedgerCommand },
  { name: 'api-keys', load: async () => (await import('./api-keys.command')).registerApiKeysCommand },
  { name: 'chaos', load: async () => (await import('./chaos.command')).registerChaosCommand },
  { name: 'soak', load: async () => (await import('./soak.command')).registerSoakCommand },
];

// Benchmarks (`aegis bench <name>`), one module each.
export const BENCH_COMMANDS: readonly LazyCommand[] = [
  { name: 'api', load: async () => (await import('./bench-api.command')).registerBenchApiCommand },
  { name: 'asli', load: async () => (await import('./bench-asli.command')).registerBenchAsliCommand },
  { name: 'network', load: async () => (await import('./network.command')).registerNetworkCommand },
  { name: 'ledger', load: async () => (await import('./bench-ledger.command')).registerBenchLedgerCommand },
  { name: 'llm', load: async () => (await import('./bench-llm.command')).registerBenchLlmCommand },
  { name: 'pipeline', load: async () => (await import('./bench-pipeline.command')).registerBenchPipelineCommand },
];
