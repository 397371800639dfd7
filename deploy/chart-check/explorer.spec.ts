import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, stageChart, type RenderOptions } from './helm.runner';
import { validateObject } from './k8s.validator';
import { find, parseManifests, podSpecOf, type K8sObject } from './manifests';

let chart: string;

function renderOk(options: RenderOptions = {}): K8sObject[] {
  const result = render(chart, options);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

beforeAll(() => {
  chart = stageChart();
});
afterAll(() => {
  rmSync(dirname(chart), { recursive: true, force: true });
});

describe('the explorer in the chart (helm/aegis/templates/explorer-*.yaml)', () => {
  it('renders a Deployment, Service, ServiceAccount and NetworkPolicy by default, all schema-valid', () => {
    const list = renderOk();
    const kinds = ['Deployment', 'Service', 'ServiceAccount', 'NetworkPolicy'];
    for (const kind of kinds) expect(find(list, kind, 'explorer'), kind).toBeDefined();
    expect(find(list, 'Ingress', 'explorer')).toBeUndefined();
    const mine = list.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'explorer');
    expect(mine.flatMap(validateObject)).toEqual([]);
  });

  it('runs bin/service.js explorer read-only, probed over HTTP, the database password from a Secret', () => {
    const deployment = find(renderOk(), 'Deployment', 'explorer') as K8sObject;
    const spec = podSpecOf(deployment);
    const container = spec?.containers[0] as unknown as {
      args: string[];
      env: { name: string; value?: string; valueFrom?: unknown }[];
      readinessProbe: { httpGet: { path: string; port: string } };
      livenessProbe: { httpGet: { path: string } };
      securityContext: Record<string, unknown>;
    };
    expect(container.args).toEqual(['bin/service.js', 'explorer']);
    expect(spec?.automountServiceAccountToken).toBe(false);
    expect(container.securityContext['readOnlyRootFilesystem']).toBe(true);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/api/counters', port: 'http' });
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    const env = new Map(container.env.map((e) => [e.name, e]));
    expect(env.get('AEGIS_HTTP_PORT')?.value).toBe('8080');
    expect(env.get('AEGIS_DATABASE_PASSWORD')?.valueFrom).toBeDefined();
    expect(env.get('AEGIS_DATABASE_URL')?.value).toMatch(/^postgres:\/\/[^:@/]+:\$\(AEGIS_DATABASE_PASSWORD\)@/);
  });

  it('lets only DNS and Postgres out, and the configured clients in', () => {
    const clients = [{ namespaceSelector: { matchLabels: { team: 'ops' } } }];
    const policy = find(
      renderOk({ setJson: { 'explorer.networkPolicy.clients': JSON.stringify(clients) } }),
      'NetworkPolicy',
      'explorer',
    ) as K8sObject;
    const spec = policy['spec'] as { ingress: { from?: unknown[] }[]; egress: { ports: { port: number }[] }[] };
    expect(spec.ingress[0]?.from).toEqual(clients);
    expect(spec.egress.flatMap((e) => e.ports.map((p) => p.port)).sort()).toEqual([53, 53, 5432]);
  });

  it('exposes it through an Ingress only when asked, and requires a host then', () => {
    const list = renderOk({ set: { 'explorer.ingress.enabled': 'true', 'explorer.ingress.host': 'explorer.example.org' } });
    const ingress = find(list, 'Ingress', 'explorer') as K8sObject;
    expect(validateObject(ingress)).toEqual([]);
    expect(JSON.stringify(ingress['spec'])).toContain('explorer.example.org');
    const missing = render(chart, { set: { 'explorer.ingress.enabled': 'true' } });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('explorer.ingress.host is required');
  });

  it('renders nothing for the explorer when disabled, and refuses unknown explorer values', () => {
    const list = renderOk({ set: { 'explorer.enabled': 'false' } });
    expect(list.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'explorer')).toEqual([]);
    const typo = render(chart, { set: { 'explorer.refreshMS': '10' } });
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/refreshMS|additional/i);
  });
});
