import { BadRequestException, type PipeTransform } from '@nestjs/common';

const HASH = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;

/**
 * Path and query parameters, validated before any query runs: a value that cannot name a task,
 * dispute or node is a 400 naming the parameter (a well-formed one that names nothing is a 404).
 * Hex is accepted in either case and looked up in the lowercase the services store.
 */
export class HexParamPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly field: string,
    private readonly shape: 'hash' | 'address',
  ) {}

  transform(value: unknown): string {
    const v = typeof value === 'string' ? value.toLowerCase() : '';
    const ok = this.shape === 'hash' ? HASH.test(v) : ADDRESS.test(v);
    if (!ok) {
      const expected = this.shape === 'hash' ? '0x followed by 64 hex digits' : '0x followed by 40 hex digits';
      throw new BadRequestException(`${this.field}: expected ${expected}, got ${JSON.stringify(String(value ?? '').slice(0, 80))}`);
    }
    return v;
  }
}

/** The search box: a task hash or dispute id (0x + 64 hex) or a node address (0x + 40 hex). */
export class SearchTermPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
    if (Array.isArray(value)) throw new BadRequestException('q: give one search term');
    if (v === '') throw new BadRequestException('q: give a task hash, dispute id or node address');
    if (!HASH.test(v) && !ADDRESS.test(v)) {
      throw new BadRequestException(
        `q: expected a task hash or dispute id (0x + 64 hex digits) or a node address (0x + 40 hex digits), got ${JSON.stringify(v.slice(0, 80))}`,
      );
    }
    return v;
  }
}
