import { keccak256 } from '@aegis/protocol';
import { type LedgerCommand, encodeCommandContent } from '../core/ledger.commands';

/**
 * `commandContentHash(cmd)` (the same bytes, the same Keccak-256), through @aegis/protocol's
 * keccak256, which takes its WebAssembly path once a process has called enableFastKeccak() (the
 * CLI and services do): about a tenth of the pure-JS cost, paid once per ledger command.
 */
export function storedContentHash(cmd: LedgerCommand): string {
  return `0x${Buffer.from(keccak256(encodeCommandContent(cmd))).toString('hex')}`;
}
