import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, stageChart, type RenderOptions } from './helm.runner';
import { validateObject } from './k8s.validator';
import { find, parseManifests, podSpecOf, type K8sObject } from './manifests';

// The gateway's own templates (templates/gateway-*.yaml): off by default, self-contained when on.
let chart: string;

function renderOk(options: RenderOptions): K8sObject[] {
  const result = render(chart, options);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

const ON = { 'gateway.enabled': 'true', 'gateway.masterKey.existingSecret': 'aegis-gateway-master-key' };

beforeAll(() => {
  chart = stageChart();
});
afterAll(() => {
  rmSync(dirname(chart), { recursive: true, force: true });
});

describe('gateway chart templates', () => {
  it('renders nothing of the gateway by default', () => {
    expect(renderOk({}).filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'gateway')).toEqual([]);
  });

  it('renders a valid Deployment, Service, NetworkPolicy and (when asked) HPA, the master key only from a Secret', () => {
    const list = renderOk({ set: { ...ON, 'gateway.autoscaling.enabled': 'true' } });
    const mine = list.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'gateway');
    expect(mine.map((o) => o.kind).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'Service']);
    expect(mine.flatMap(validateObject)).toEqual([]);
    const pod = podSpecOf(find(list, 'Deployment', 'gateway') as K8sObject);
    const container = pod?.containers[0];
    expect(container?.args).toEqual(['bin/service.js', 'gateway']);
    const env = (name: string) => container?.env?.find((e) => e.name === name);
    expect(env('AEGIS_GATEWAY_MASTER_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'aegis-gateway-master-key', key: 'master-key' });
    expect(env('AEGIS_INGRESS_URL')?.value).toBe('aegis-ingress:50051');
    expect(env('AEGIS_MODEL_DIR')?.value).toBe('/models/current');
    expect(env('AEGIS_DATABASE_URL')).toBeDefined();
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(container?.securityContext?.['readOnlyRootFilesystem']).toBe(true);
  });

  it('refuses to render without the master key Secret, and refuses bad values through the schema', () => {
    const missing = render(chart, { set: { 'gateway.enabled': 'true' } });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/gateway.masterKey.existingSecret is required/);
    const bad = render(chart, { set: { ...ON, 'gateway.rateLimit.burst': '0' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/burst/);
  });
});
