import type { Command } from 'commander';

/** A subcommand module adds itself to its parent command. */
export type RegisterCommand = (parent: Command) => void;

// Top-level subcommands (`aegis <name>`), one module each.
export const COMMANDS: RegisterCommand[] = [];

// Benchmarks (`aegis bench <name>`), one module each.
export const BENCH_COMMANDS: RegisterCommand[] = [];
