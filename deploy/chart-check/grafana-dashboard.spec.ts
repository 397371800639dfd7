import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Panel {
  title: string;
  targets: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync('deploy/grafana/aegis-dashboard.json', 'utf8')) as { uid: string; panels: Panel[] };

/** Every `name: 'aegis_...'` a service registers with prom-client, read from the sources. */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/name: '(aegis_[a-z_]+)'/g)) if (m[1] !== undefined) names.add(m[1]);
      }
    }
  };
  walk('services');
  return names;
}

describe('the Grafana dashboard (deploy/grafana)', () => {
  const queried = new Set(
    dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) => [...t.expr.matchAll(/\b(aegis_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => m[1] ?? '')),
    ),
  );
  const registered = registeredMetrics();

  it('queries only metrics a service exports (a renamed metric would leave a panel empty)', () => {
    expect(registered.size).toBeGreaterThan(0);
    expect([...queried].filter((name) => !registered.has(name))).toEqual([]);
  });

  it('has a panel for every aegis_* metric the services export', () => {
    expect([...registered].filter((name) => !queried.has(name))).toEqual([]);
  });
});
