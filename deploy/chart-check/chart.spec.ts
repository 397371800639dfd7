import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CONSUMER_GROUPS, TOPICS } from '@aegis/contracts';
import { NodeKey } from '@aegis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_DIR, helm, render, renderNotes, stageChart, type RenderOptions } from './helm.runner';
import { validateObject } from './k8s.validator';
import { component, find, isObject, parseManifests, podSpecOf, type Container, type K8sObject } from './manifests';

const SERVICES = ['ingress', 'inference-worker', 'verifier', 'pow-checker', 'tallier', 'ledger'] as const;
const GRPC_PORTS: Readonly<Record<(typeof SERVICES)[number], number>> = {
  ingress: 50051,
  ledger: 50052,
  'inference-worker': 50055,
  verifier: 50055,
  'pow-checker': 50055,
  tallier: 50055,
};
const KEDA_API = 'keda.sh/v1alpha1/ScaledObject';
const GPU = 'nvidia.com/gpu';

/** The value sets CI renders: defaults plus helm/aegis/ci/*.yaml. */
const VALUE_SETS: Readonly<Record<string, RenderOptions>> = {
  default: {},
  'gpu-keda': { valuesFiles: ['gpu-keda-values.yaml'], apiVersions: [KEDA_API] },
  'cpu-hpa': { valuesFiles: ['cpu-hpa-values.yaml'] },
  bundled: { valuesFiles: ['bundled-values.yaml'] },
  // The whole devnet on one 2-CPU node (docs/operations.md).
  small: { valuesFiles: ['helm/aegis/values-small.yaml'] },
  production: {
    valuesFiles: ['production-values.yaml'],
    apiVersions: ['monitoring.coreos.com/v1/ServiceMonitor', 'gateway.networking.k8s.io/v1/GRPCRoute'],
  },
  minimal: { valuesFiles: ['minimal-values.yaml'] },
  // The operator-facing examples under deploy/ must render too.
  'deploy-kind': { valuesFiles: ['deploy/kind/values.yaml'] },
  'deploy-gpu': { valuesFiles: ['deploy/gpu/values.yaml'], apiVersions: [KEDA_API, 'monitoring.coreos.com/v1/ServiceMonitor'] },
};

let chart: string;
const rendered = new Map<string, K8sObject[]>();

function renderOk(options: RenderOptions): K8sObject[] {
  const result = render(chart, options);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

function objects(set: string): K8sObject[] {
  const list = rendered.get(set);
  if (!list) throw new Error(`value set ${set} was not rendered`);
  return list;
}

function deployment(set: string, name: string): K8sObject {
  const object = find(objects(set), 'Deployment', name);
  if (!object) throw new Error(`${set}: no Deployment for ${name}`);
  return object;
}

function mainContainer(object: K8sObject): Container {
  const container = podSpecOf(object)?.containers[0];
  if (!container) throw new Error(`${object.metadata.name}: no container`);
  return container;
}

function allContainers(list: readonly K8sObject[]): { owner: string; container: Container }[] {
  return list.flatMap((o) => {
    const spec = podSpecOf(o);
    if (!spec) return [];
    return [...(spec.initContainers ?? []), ...spec.containers].map((container) => ({ owner: `${o.kind}/${o.metadata.name}`, container }));
  });
}

function env(container: Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value;
}

beforeAll(() => {
  chart = stageChart();
  for (const [name, options] of Object.entries(VALUE_SETS)) rendered.set(name, renderOk(options));
});

afterAll(() => rmSync(dirname(chart), { recursive: true, force: true }));

describe('helm lint', () => {
  // KEDA's capability guard fails lint (lint cannot declare API versions), so that set is rendered only.
  it.each([
    '',
    'ci/cpu-hpa-values.yaml',
    'ci/production-values.yaml',
    'ci/minimal-values.yaml',
    'ci/bundled-values.yaml',
    'values-small.yaml',
  ])('passes with %s', (file) => {
    const args = ['lint', CHART_DIR, ...(file ? ['--values', `${CHART_DIR}/${file}`] : [])];
    const result = helm(args);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('0 chart(s) failed');
    const warnings = result.stdout.split('\n').filter((l) => l.includes('[WARNING]') || l.includes('[ERROR]'));
    expect(warnings).toEqual([]);
  });

  it('depends on no chart repository (`helm install` works from a plain checkout)', () => {
    const chartYaml = helm(['show', 'chart', CHART_DIR]);
    expect(chartYaml.stdout).not.toMatch(/^dependencies:/m);
  });
});

describe.each(Object.keys(VALUE_SETS))('value set %s', (set) => {
  it('renders only objects that pass the Kubernetes (and CRD) schemas', () => {
    const list = objects(set);
    expect(list.length).toBeGreaterThan(20);
    expect(list.flatMap(validateObject)).toEqual([]);
  });

  it('gives every container real requests and limits', () => {
    for (const { owner, container } of allContainers(objects(set))) {
      for (const kind of ['requests', 'limits'] as const) {
        const block = container.resources?.[kind] ?? {};
        expect(block['cpu'], `${owner}/${container.name} ${kind}.cpu`).toBeTruthy();
        expect(block['memory'], `${owner}/${container.name} ${kind}.memory`).toBeTruthy();
      }
    }
  });

  it('runs every container non-root, read-only, without capabilities or token', () => {
    for (const object of objects(set)) {
      const spec = podSpecOf(object);
      if (!spec) continue;
      expect(spec.automountServiceAccountToken, object.metadata.name).toBe(false);
      expect(spec.securityContext?.['runAsNonRoot'], object.metadata.name).toBe(true);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const sc = c.securityContext ?? {};
        expect(sc['readOnlyRootFilesystem'], `${object.metadata.name}/${c.name}`).toBe(true);
        expect(sc['allowPrivilegeEscalation'], `${object.metadata.name}/${c.name}`).toBe(false);
        expect(sc['capabilities'], `${object.metadata.name}/${c.name}`).toEqual({ drop: ['ALL'] });
      }
    }
    for (const sa of objects(set).filter((o) => o.kind === 'ServiceAccount')) {
      expect(sa['automountServiceAccountToken'], sa.metadata.name).toBe(false);
    }
  });

  it('never puts credentials in plain env values', () => {
    for (const { owner, container } of allContainers(objects(set))) {
      for (const e of container.env ?? []) {
        const where = `${owner}/${container.name} ${e.name}`;
        if (/PASSWORD|SECRET|TOKEN|USERNAME/.test(e.name)) {
          expect(e.value, where).toBeUndefined();
          expect(e.valueFrom?.secretKeyRef, where).toBeDefined();
        }
        if (/KEY_FILE$/.test(e.name)) expect(e.value, where).toMatch(/^\/var\/run\/aegis\//);
        if (e.name === 'AEGIS_DATABASE_URL' && e.value !== undefined) {
          // userinfo is user:$(AEGIS_DATABASE_PASSWORD), expanded by the kubelet from a secretKeyRef.
          expect(e.value, where).toMatch(/^postgres:\/\/[^:@/]+:\$\(AEGIS_DATABASE_PASSWORD\)@/);
        }
      }
    }
  });

  it('puts every enabled service behind a Service and a NetworkPolicy, or neither policy when disabled', () => {
    const list = objects(set);
    for (const name of SERVICES) {
      const svc = find(list, 'Service', name);
      expect(svc, name).toBeDefined();
      const policy = find(list, 'NetworkPolicy', name);
      if (set === 'minimal') expect(policy).toBeUndefined();
      else expect(policy, name).toBeDefined();
    }
  });
});

describe('probes', () => {
  it.each(SERVICES)('%s has startup, liveness and readiness probes on its gRPC health port', (name) => {
    const container = mainContainer(deployment('default', name));
    const grpcPort = container.ports?.find((p) => p.name === 'grpc')?.containerPort;
    expect(grpcPort).toBe(GRPC_PORTS[name]);
    expect(env(container, 'AEGIS_GRPC_PORT')).toBe(String(GRPC_PORTS[name]));
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      expect(container[probe]?.grpc?.port, probe).toBe(grpcPort);
      // Readiness asks the answer that is false while Postgres or Kafka fail; the others only whether the process runs.
      expect(container[probe]?.grpc?.service, probe).toBe(probe === 'readinessProbe' ? 'readiness' : 'liveness');
    }
  });

  it('omits each probe whose enabled flag is false', () => {
    for (const name of SERVICES) {
      const container = mainContainer(deployment('minimal', name));
      expect([container.startupProbe, container.livenessProbe, container.readinessProbe]).toEqual([undefined, undefined, undefined]);
    }
    const partial = renderOk({ set: { 'ledger.livenessProbe.enabled': 'false' } });
    const ledger = mainContainer(find(partial, 'Deployment', 'ledger') as K8sObject);
    expect(ledger.livenessProbe).toBeUndefined();
    expect(ledger.readinessProbe?.grpc?.port).toBe(50052);
  });
});

describe('GPU workers', () => {
  const gpuCount = (c: Container) => [c.resources?.requests?.[GPU], c.resources?.limits?.[GPU]];

  it('request nvidia.com/gpu, tolerate GPU nodes and run the CUDA image only when gpu.enabled', () => {
    const worker = deployment('gpu-keda', 'inference-worker');
    const container = mainContainer(worker);
    expect(gpuCount(container)).toEqual([1, 1]);
    expect(container.image).toMatch(/:0\.1\.0-cuda$/);
    expect(env(container, 'AEGIS_EXECUTION_PROVIDER')).toBe('cuda');
    expect(podSpecOf(worker)?.tolerations?.map((t) => t.key)).toContain(GPU);
    // The model init container builds on CPU: it must not hold a GPU of its own.
    expect(
      podSpecOf(worker)
        ?.initContainers?.flatMap(gpuCount)
        .filter((v) => v !== undefined),
    ).toEqual([]);
    expect(gpuCount(mainContainer(deployment('gpu-keda', 'verifier')))).toEqual([1, 1]);
    expect(gpuCount(mainContainer(deployment('gpu-keda', 'pow-checker')))).toEqual([undefined, undefined]);
    expect(gpuCount(mainContainer(deployment('deploy-gpu', 'inference-worker')))).toEqual([1, 1]);
    expect(find(objects('deploy-gpu'), 'ScaledObject', 'inference-worker')).toBeDefined();
  });

  it.each(['default', 'cpu-hpa', 'bundled', 'production', 'minimal', 'deploy-kind'])('request no GPU anywhere in %s', (set) => {
    for (const { owner, container } of allContainers(objects(set))) {
      expect(gpuCount(container), owner).toEqual([undefined, undefined]);
      expect(container.image, owner).not.toMatch(/-cuda$/);
    }
    const worker = mainContainer(deployment(set, 'inference-worker'));
    expect(env(worker, 'AEGIS_EXECUTION_PROVIDER')).toBe('cpu');
    expect(podSpecOf(deployment(set, 'inference-worker'))?.tolerations ?? []).toEqual([]);
  });

  it('mount the model from the init container, the PVC or the model image', () => {
    const volume = (set: string) => podSpecOf(deployment(set, 'verifier'))?.volumes?.find((v) => v['name'] === 'model');
    expect(volume('default')).toHaveProperty('emptyDir');
    expect(podSpecOf(deployment('default', 'verifier'))?.initContainers?.[0]?.args).toEqual([
      'bin/aegis.js',
      'model',
      'build',
      '--model',
      'aegis-tiny-v1',
      '--out',
      '/model-out',
    ]);
    expect(volume('production')).toEqual({ name: 'model', persistentVolumeClaim: { claimName: 'aegis-models', readOnly: true } });
    expect(podSpecOf(deployment('production', 'verifier'))?.initContainers).toBeUndefined();
    expect(podSpecOf(deployment('minimal', 'verifier'))?.initContainers?.[0]?.image).toBe('ghcr.io/aegis-posw/models:tiny-gpt-v1');
  });
});

describe('autoscaling', () => {
  it('uses a KEDA ScaledObject on the tasks consumer lag, and no HPA, when keda.enabled', () => {
    const list = objects('gpu-keda');
    const scaled = find(list, 'ScaledObject', 'inference-worker');
    expect(scaled).toBeDefined();
    expect(find(list, 'HorizontalPodAutoscaler', 'inference-worker')).toBeUndefined();
    expect(deployment('gpu-keda', 'inference-worker')['spec']).not.toHaveProperty('replicas');
    const spec = scaled?.['spec'] as {
      minReplicaCount: number;
      maxReplicaCount: number;
      triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
    };
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([0, 12]);
    const trigger = spec.triggers[0];
    expect(trigger?.type).toBe('kafka');
    // The chart's defaults must name the group and topic the worker really consumes.
    expect(trigger?.metadata['consumerGroup']).toBe(CONSUMER_GROUPS.inferenceWorker);
    expect(trigger?.metadata['topic']).toBe(TOPICS.tasks);
    expect(trigger?.metadata).toMatchObject({
      lagThreshold: '10',
      sasl: 'scram_sha512',
      tls: 'enable',
      bootstrapServers: 'b-1.kafka.example.internal:9096,b-2.kafka.example.internal:9096',
    });
    const auth = find(list, 'TriggerAuthentication', 'inference-worker');
    expect(trigger?.authenticationRef?.name).toBe(auth?.metadata.name);
  });

  it('falls back to a CPU HPA when keda.enabled is false', () => {
    const list = objects('cpu-hpa');
    expect(list.filter((o) => o.apiVersion.startsWith('keda.sh/'))).toEqual([]);
    const hpa = find(list, 'HorizontalPodAutoscaler', 'inference-worker');
    expect(hpa?.['spec']).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { kind: 'Deployment', name: deployment('cpu-hpa', 'inference-worker').metadata.name },
    });
    expect(deployment('cpu-hpa', 'inference-worker')['spec']).not.toHaveProperty('replicas');
    expect(deployment('default', 'inference-worker')['spec']).toHaveProperty('replicas', 1);
  });

  it('refuses keda.enabled on a cluster without KEDA instead of silently not scaling', () => {
    const result = render(chart, { valuesFiles: ['gpu-keda-values.yaml'] });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('needs KEDA');
  });
});

describe('secrets', () => {
  const keyLines = (secret: K8sObject, key: string) =>
    Buffer.from(String((secret['data'] as Record<string, string>)[key]), 'base64')
      .toString('utf8')
      .trim()
      .split('\n');

  it('generates valid, random secp256k1 node keys only on the devnet path, kept on uninstall', () => {
    const first = find(objects('default'), 'Secret', 'node-keys') as K8sObject;
    expect(first.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    const three = find(renderOk({ set: { 'nodeKeys.generate.count': '3' } }), 'Secret', 'node-keys') as K8sObject;
    const keys = keyLines(three, 'keys');
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      expect(key).toMatch(/^0x[0-9a-f]{64}$/);
    }
    // The services parse the file with the protocol's own NodeKey: three distinct identities.
    const addresses = keys.map((key) => NodeKey.fromHex(key).address);
    expect(new Set(addresses).size).toBe(3);
    // Not taken from values: every render draws new keys.
    expect(keyLines(first, 'keys')[0]).not.toBe(keys[0]);
  });

  it('renders no Secret at all when every credential comes from an existing Secret', () => {
    expect(objects('production').filter((o) => o.kind === 'Secret')).toEqual([]);
    const tallier = mainContainer(deployment('production', 'tallier'));
    expect(tallier.env?.find((e) => e.name === 'AEGIS_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'aegis-database',
      key: 'database-url',
    });
    const volumes = podSpecOf(deployment('production', 'verifier'))?.volumes ?? [];
    expect(volumes.find((v) => v['name'] === 'node-keys')).toMatchObject({ secret: { secretName: 'aegis-node-keys' } });
  });

  it('only ever renders the generated key Secrets, whose data no value can set', () => {
    for (const set of Object.keys(VALUE_SETS)) {
      const secrets = objects(set)
        .filter((o) => o.kind === 'Secret')
        .map(component);
      const generated = ['node-keys', 'control-key', 'audit-secret', 'client-key', 'postgresql'];
      expect(
        secrets.every((c) => c !== undefined && generated.includes(c)),
        `${set}: ${secrets.join(',')}`,
      ).toBe(true);
    }
  });

  it('wires the in-cluster Postgres and Kafka: its generated, kept password and its Service', () => {
    const ledger = mainContainer(deployment('bundled', 'ledger'));
    expect(ledger.env?.find((e) => e.name === 'AEGIS_DATABASE_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'aegis-postgresql',
      key: 'password',
    });
    expect(env(ledger, 'AEGIS_DATABASE_URL')).toBe(
      'postgres://aegis:$(AEGIS_DATABASE_PASSWORD)@aegis-postgresql:5432/aegis?sslmode=disable',
    );
    expect(env(ledger, 'AEGIS_KAFKA_BROKERS')).toBe('aegis-kafka:9092');
    const list = objects('bundled');
    const password = find(list, 'Secret', 'postgresql') as K8sObject;
    expect(password.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(Buffer.from(String((password['data'] as Record<string, string>)['password']), 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    for (const [name, port] of [
      ['kafka', 9092],
      ['postgresql', 5432],
    ] as const) {
      const set = find(list, 'StatefulSet', name);
      expect(set, name).toBeDefined();
      expect(podSpecOf({ ...(set as K8sObject), kind: 'Deployment' })?.containers[0]?.ports?.[0]?.containerPort, name).toBe(port);
      expect((find(list, 'Service', name)?.['spec'] as { ports: { port: number }[] }).ports[0]?.port, name).toBe(port);
      // Only this release's pods reach them.
      expect(find(list, 'NetworkPolicy', name), name).toBeDefined();
    }
    expect(objects('default').filter((o) => o.kind === 'StatefulSet')).toEqual([]);
  });

  it('gives the PoW checkers a kept random audit secret, and verifiers and checkers the control address', () => {
    const checker = mainContainer(deployment('default', 'pow-checker'));
    expect(checker.env?.find((e) => e.name === 'AEGIS_AUDIT_SECRET')?.valueFrom?.secretKeyRef).toEqual({
      name: 'aegis-audit-secret',
      key: 'secret',
    });
    const audit = find(objects('default'), 'Secret', 'audit-secret') as K8sObject;
    expect(Buffer.from(String((audit['data'] as Record<string, string>)['secret']), 'base64').toString()).toMatch(/^[0-9a-f]{64}$/);
    expect(env(checker, 'AEGIS_TALLIER_URL')).toBe('aegis-tallier:50055');
    for (const name of ['verifier', 'pow-checker']) {
      // Generated key: an init container derives the address; the service reads it from a file.
      const spec = podSpecOf(deployment('default', name));
      expect(env(mainContainer(deployment('default', name)), 'AEGIS_CONTROL_ADDRESS_FILE'), name).toBe(
        '/var/run/aegis/control-address/address',
      );
      expect(spec?.initContainers?.find((c) => c.name === 'control-address')?.args, name).toEqual([
        'bin/aegis.js',
        'keys',
        'address',
        '--hex-file',
        '/var/run/aegis/control-key/key',
        '--out',
        '/var/run/aegis/control-address/address',
      ]);
      expect(
        spec?.containers[0]?.env?.some((e) => e.name === 'AEGIS_CONTROL_KEY_FILE'),
        name,
      ).toBe(false);
      // Configured address: no init container and no key in the pod at all.
      const prod = podSpecOf(deployment('production', name));
      expect(env(mainContainer(deployment('production', name)), 'AEGIS_CONTROL_ADDRESS'), name).toBe(
        '0x6d6f6e6f6c697468696320636f6e74726f6c3031',
      );
      expect(
        prod?.volumes?.some((v) => v['name'] === 'control-key'),
        name,
      ).toBe(false);
    }
  });

  it('gives ingress its model folder and the ledger, and the faucet to the ledger only when asked', () => {
    const ingress = mainContainer(deployment('default', 'ingress'));
    expect(env(ingress, 'AEGIS_MODEL_DIR')).toBe('/models/current');
    expect(env(ingress, 'AEGIS_LEDGER_URL')).toBe('aegis-ledger:50052');
    expect(podSpecOf(deployment('default', 'ingress'))?.initContainers?.[0]?.name).toBe('model-build');
    expect(env(mainContainer(deployment('default', 'ledger')), 'AEGIS_LEDGER_FAUCET')).toBeUndefined();
    expect(env(mainContainer(deployment('small', 'ledger')), 'AEGIS_LEDGER_FAUCET')).toBe('true');
    for (const name of SERVICES) {
      expect(
        mainContainer(deployment('default', name)).env?.find((e) => e.name === 'AEGIS_INSTANCE_ID'),
        name,
      ).toHaveProperty('valueFrom');
    }
  });

  it('defaults the external database to sslmode=prefer, which any server accepts', () => {
    expect(env(mainContainer(deployment('default', 'ledger')), 'AEGIS_DATABASE_URL')).toBe(
      'postgres://aegis:$(AEGIS_DATABASE_PASSWORD)@postgres:5432/aegis?sslmode=prefer',
    );
  });

  it('passes consumer fetch batching to every Kafka client only when set, keeping the client defaults otherwise', () => {
    const FETCH = ['AEGIS_KAFKA_FETCH_MIN_BYTES', 'AEGIS_KAFKA_FETCH_MAX_WAIT_MS'];
    for (const { owner, container } of allContainers(objects('default'))) {
      for (const name of FETCH) expect(env(container, name), `${owner} ${name}`).toBeUndefined();
    }
    const tuned = renderOk({ set: { 'kafkaConsumer.fetchMinBytes': '65536', 'kafkaConsumer.fetchMaxWaitMs': '50' } });
    const brokers = allContainers(tuned).filter(({ container }) => env(container, 'AEGIS_KAFKA_BROKERS') !== undefined);
    expect(brokers.map(({ owner }) => owner)).toEqual(expect.arrayContaining(SERVICES.map((s) => `Deployment/aegis-${s}`)));
    for (const { owner, container } of brokers) {
      expect(env(container, 'AEGIS_KAFKA_FETCH_MIN_BYTES'), owner).toBe('65536');
      expect(env(container, 'AEGIS_KAFKA_FETCH_MAX_WAIT_MS'), owner).toBe('50');
    }
  });
});

describe('values.schema.json', () => {
  const rejected: [string, RenderOptions, RegExp][] = [
    ['a wrong type', { set: { 'ingress.replicaCount': 'two' } }, /replicaCount/],
    ['an unknown top-level key', { set: { replicas: '3' } }, /replicas/],
    ['an unknown component key', { set: { 'verifier.readinesProbe.enabled': 'true' } }, /readinesProbe/],
    ['a typo in a probe block', { set: { 'tallier.livenessProbe.periodSecond': '5' } }, /periodSecond/],
    // Helm merges maps into the defaults, so `null` is how a user empties one.
    ['resources without requests', { set: { 'ledger.resources.requests': 'null' } }, /requests/],
    ['resources without a memory limit', { set: { 'ingress.resources.limits.memory': 'null' } }, /memory/],
    ['a plain-text password', { set: { 'externalDatabase.password': 'hunter2' } }, /password/],
    ['a bad GPU count', { set: { 'inferenceWorker.gpu.count': '0' } }, /count/],
    ['a non-integer minimum stake', { set: { 'protocol.minStake': '1.5' } }, /minStake/],
    ['an unknown execution provider', { set: { 'verifier.executionProvider': 'rocm' } }, /executionProvider/],
    ['a negative fetch size', { set: { 'kafkaConsumer.fetchMinBytes': '-1' } }, /fetchMinBytes/],
    ['a fetch wait past the client limit', { set: { 'kafkaConsumer.fetchMaxWaitMs': '60000' } }, /fetchMaxWaitMs/],
  ];
  it.each(rejected)('makes helm template fail on %s', (_label, options, mention) => {
    const result = render(chart, options);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(result.stderr).toMatch(mention);
  });
});

describe('hooks, exposure and tests', () => {
  it('migrates and creates topics in hook Jobs, after install when the dependency is bundled', () => {
    for (const [set, when] of [
      ['default', 'pre-install,pre-upgrade'],
      ['bundled', 'post-install,pre-upgrade,post-upgrade'],
    ] as const) {
      const migrate = find(objects(set), 'Job', 'migrate');
      const topics = find(objects(set), 'Job', 'create-topics');
      expect(migrate?.metadata.annotations?.['helm.sh/hook'], set).toBe(when);
      expect(topics?.metadata.annotations?.['helm.sh/hook'], set).toBe(when);
      expect(mainContainer(migrate as K8sObject).args).toEqual(['bin/aegis.js', 'db', 'migrate']);
      expect(mainContainer(topics as K8sObject).args).toEqual([
        'bin/aegis.js',
        'kafka',
        'create-topics',
        '--brokers',
        '$(AEGIS_KAFKA_BROKERS)',
        '--partitions',
        '12',
      ]);
    }
  });

  it("admits only the ledger's clients (ingress, inference workers, the bootstrap Job, the chart test) to its gRPC port", () => {
    const from = (set: string) => {
      const policy = find(objects(set), 'NetworkPolicy', 'ledger');
      const ingress = (
        policy?.['spec'] as { ingress: { ports: { port: string }[]; from?: { podSelector?: { matchLabels: Record<string, string> } }[] }[] }
      ).ingress;
      const grpc = ingress.find((rule) => rule.ports.some((p) => p.port === 'grpc'));
      return grpc?.from?.map((peer) => peer.podSelector?.matchLabels['app.kubernetes.io/component']);
    };
    expect(from('default')).toEqual(['chart-test', 'inference-worker', 'ingress']);
    expect(from('small')).toEqual(['chart-test', 'inference-worker', 'ingress', 'bootstrap']);
  });

  it('stakes the node keys and funds the client in a post-install Job, only on the devnet path', () => {
    expect(find(objects('default'), 'Job', 'bootstrap')).toBeUndefined();
    const job = find(objects('small'), 'Job', 'bootstrap') as K8sObject;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('post-install,post-upgrade');
    const container = mainContainer(job);
    const script = container.args?.[0] ?? '';
    expect(script).toMatch(/aegis\.js deposit "\$NODE_DEPOSIT" .*--idempotency-key "bootstrap-deposit-\$addr"/);
    expect(script).toMatch(/aegis\.js stake "\$NODE_STAKE" /);
    expect(script).toMatch(/aegis\.js deposit "\$CLIENT_DEPOSIT" /);
    expect(env(container, 'LEDGER')).toBe('aegis-ledger:50052');
    const refused = render(chart, { set: { 'bootstrap.enabled': 'true' } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('bootstrap.enabled needs faucet.enabled');
  });

  it('fits the small value set on a 2-CPU node, with room for three workers', () => {
    const cpu = (q: string | number | undefined): number =>
      typeof q === 'string' && q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q ?? 0);
    let total = 0;
    for (const o of objects('small')) {
      if (o.kind !== 'Deployment' && o.kind !== 'StatefulSet') continue;
      const spec = podSpecOf({ ...o, kind: 'Deployment' });
      const replicas = Number((o['spec'] as { replicas?: number }).replicas ?? 1);
      total += replicas * (spec?.containers ?? []).reduce((sum, c) => sum + cpu(c.resources?.requests?.['cpu']), 0);
    }
    const worker = cpu(mainContainer(deployment('small', 'inference-worker')).resources?.requests?.['cpu']);
    // CoreDNS and the control plane's own pods take about 0.2 CPU of a 2-CPU node.
    expect(total + 2 * worker).toBeLessThanOrEqual(1.5);
  });

  it('exposes the task ingress through Ingress and GRPCRoute only when asked and supported', () => {
    expect(objects('default').filter((o) => o.kind === 'Ingress' || o.kind === 'GRPCRoute' || o.kind === 'ServiceMonitor')).toEqual([]);
    const prod = objects('production');
    expect(prod.map((o) => o.kind)).toEqual(expect.arrayContaining(['Ingress', 'GRPCRoute', 'ServiceMonitor']));
    // Without the CRDs being served, the optional objects are skipped rather than failing the install.
    const noCrds = renderOk({ valuesFiles: ['production-values.yaml'] });
    expect(noCrds.filter((o) => o.kind === 'GRPCRoute' || o.kind === 'ServiceMonitor')).toEqual([]);
  });

  it('has a helm test Pod, kept for `helm test --logs`, that submits a task through the ingress Service on the devnet path', () => {
    const pod = objects('small').find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test') as K8sObject;
    expect(pod.metadata.annotations?.['helm.sh/hook-delete-policy']).toBe('before-hook-creation');
    const spec = podSpecOf(pod);
    expect(spec?.initContainers?.map((c) => c.name)).toEqual(['grpc-health', 'model-build']);
    const submit = spec?.containers[0];
    expect(submit?.args?.slice(0, 4)).toEqual(['bin/aegis.js', 'submit', '--ingress', 'aegis-ingress:50051']);
    expect(submit?.args).toEqual(expect.arrayContaining(['--watch', '--json', '--key-file', '/var/run/aegis/client-key/key']));
    const policy = find(
      renderOk({
        valuesFiles: ['helm/aegis/values-small.yaml'],
        setJson: { 'networkPolicy.clients': '[{"ipBlock":{"cidr":"10.0.0.0/8"}}]' },
      }),
      'NetworkPolicy',
      'ingress',
    );
    expect(JSON.stringify(policy?.['spec'])).toContain('"app.kubernetes.io/component":"chart-test"');
  });

  it('has a helm test Pod that health-checks every enabled gRPC service', () => {
    const pod = objects('default').find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
    const targets = env(mainContainer(pod as K8sObject), 'AEGIS_HEALTH_TARGETS')?.split(',') ?? [];
    expect(targets.sort()).toEqual(SERVICES.map((s) => `aegis-${s}:${GRPC_PORTS[s]}`).sort());
    const without = renderOk({ set: { 'verifier.enabled': 'false' } });
    const fewer = env(mainContainer(without.find((o) => o.kind === 'Pod') as K8sObject), 'AEGIS_HEALTH_TARGETS');
    expect(fewer?.split(',')).toHaveLength(5);
    expect(without.filter((o) => component(o) === 'verifier')).toEqual([]);
  });

  it('prints NOTES that tell the operator how to submit a first task, and warn about devnet keys', () => {
    const notes = renderNotes(chart);
    expect(notes).toContain('kubectl -n aegis port-forward svc/notes-probe-aegis-ingress 50051:50051');
    expect(notes).toMatch(/npx aegis submit --ingress 127\.0\.0\.1:50051 /);
    expect(notes).toContain('helm test notes-probe');
    expect(notes).toContain('WARNING: node keys were GENERATED');
    const production = renderNotes(chart, VALUE_SETS['production']);
    expect(production).not.toContain('WARNING');
    expect(renderNotes(chart, VALUE_SETS['gpu-keda'])).toContain('KEDA on the lag of aegis.tasks.v1');
  });

  it('labels every object with the release and a component', () => {
    for (const object of objects('default')) {
      expect(isObject(object.metadata.labels) && object.metadata.labels['app.kubernetes.io/instance'], object.metadata.name).toBe('aegis');
      expect(component(object), object.metadata.name).toBeTruthy();
    }
  });
});
