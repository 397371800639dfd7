import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART_DIR } from './helm.runner';

const text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');

/** Leaf paths of values.yaml: scalars, lists and empty maps (a user sets those as a whole). */
function leaves(node: Node | null, prefix: string, out: string[]): string[] {
  if (isMap(node) && node.items.length > 0) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      leaves(pair.value as Node | null, prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (isMap(node) || isSeq(node) || isScalar(node) || node === null) {
    out.push(prefix);
  }
  return out;
}

const documented = [...text.matchAll(/^\s*## @param (\S+) \S/gm)].map((m) => m[1] as string);
const keys = leaves(parseDocument(text).contents as Node | null, '', []);
// A documented map (e.g. exposure.ingress.annotations) documents its free-form entries.
const isDocumented = (key: string) => documented.some((p) => key === p || key.startsWith(`${p}.`));

describe('values.yaml documentation', () => {
  it('has a "## @param <key> <description>" line for every key', () => {
    expect(keys.length).toBeGreaterThan(300);
    expect(keys.filter((k) => !isDocumented(k))).toEqual([]);
  });

  it('documents no key that does not exist, and none twice', () => {
    expect(documented.filter((p) => !keys.some((k) => k === p || k.startsWith(`${p}.`)))).toEqual([]);
    expect(documented.filter((p, i) => documented.indexOf(p) !== i)).toEqual([]);
  });
});
