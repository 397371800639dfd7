import type { Command } from 'commander';
import { registerAuditCommand } from './audit.command';
import { registerKafkaCommand } from './kafka.command';
import { registerBenchAsliCommand } from './bench-asli.command';
import { registerModelCommand } from './model.command';
import { registerDbCommand } from './db.command';
import { registerBenchLedgerCommand } from './bench-ledger.command';
import { registerSimulate } from './simulate.command';
import { registerDevnetCommand } from './devnet.command';
import { registerSubmitCommand } from './submit.command';
import { registerBenchPipelineCommand } from './bench-pipeline.command';

/** A subcommand module adds itself to its parent command. */
export type RegisterCommand = (parent: Command) => void;

// Top-level subcommands (`aegis <name>`), one module each.
export const COMMANDS: RegisterCommand[] = [registerSimulate, registerModelCommand, registerAuditCommand, registerKafkaCommand, registerDbCommand, registerDevnetCommand, registerSubmitCommand];

// Benchmarks (`aegis bench <name>`), one module each.
export const BENCH_COMMANDS: RegisterCommand[] = [registerBenchAsliCommand, registerBenchLedgerCommand, registerBenchPipelineCommand];
