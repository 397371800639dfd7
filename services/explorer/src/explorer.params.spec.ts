import { BadRequestException } from '@nestjs/common';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { HexParamPipe, SearchTermPipe } from './explorer.params';
import { short, units } from './views/format';
import { ErrorPage } from './views/pages';
import { renderPage } from './views/render';

const HASH = `0x${'Ab'.repeat(32)}`;
const ADDRESS = `0x${'cD'.repeat(20)}`;

describe('explorer parameters', () => {
  it('accepts a task hash or address in either case and returns it lowercased', () => {
    expect(new HexParamPipe('task hash', 'hash').transform(HASH)).toBe(HASH.toLowerCase());
    expect(new HexParamPipe('node address', 'address').transform(ADDRESS)).toBe(ADDRESS.toLowerCase());
  });

  it.each([
    ['hash', '0x1234'],
    ['hash', HASH.slice(2)],
    ['hash', `${HASH}00`],
    ['hash', ADDRESS],
    ['address', HASH],
    ['address', '0xzz' + 'a'.repeat(38)],
    ['address', undefined],
  ] as const)('refuses a %s of %j with a 400 naming the field', (shape, value) => {
    const pipe = new HexParamPipe(shape === 'hash' ? 'task hash' : 'node address', shape);
    expect(() => pipe.transform(value)).toThrow(BadRequestException);
    expect(() => pipe.transform(value)).toThrow(
      shape === 'hash' ? /^task hash: expected 0x followed by 64/ : /^node address: expected 0x followed by 40/,
    );
  });

  it('takes a search term that is a hash or an address, trimmed, and nothing else', () => {
    const pipe = new SearchTermPipe();
    expect(pipe.transform(`  ${HASH} `)).toBe(HASH.toLowerCase());
    expect(pipe.transform(ADDRESS)).toBe(ADDRESS.toLowerCase());
    for (const bad of ['', '   ', 'hello', '0x12', [HASH, HASH], undefined]) expect(() => pipe.transform(bad)).toThrow(/^q: /);
  });
});

describe('explorer rendering', () => {
  it('escapes what it shows: a message with markup renders as text', () => {
    const html = renderPage(createElement(ErrorPage, { status: 404, message: 'no task <script>alert(1)</script>' }));
    expect(html.startsWith('<!DOCTYPE html><html lang="en">')).toBe(true);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('404 Not found');
  });

  it('groups base units without floats and shortens long hex', () => {
    expect(units('123456789012345678901234567890')).toBe('123,456,789,012,345,678,901,234,567,890');
    expect(units('-10000')).toBe('−10,000');
    expect(units('7')).toBe('7');
    expect(short(HASH.toLowerCase())).toBe('0xabababab…ababab');
    expect(short('treasury')).toBe('treasury');
  });
});
