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
  ingress: 50051, ledger: 50052, 'inference-worker': 50055, verifier: 50055, 'pow-checker': 50055, tallier: 50055,
};
const KEDA_API = 'keda.sh/v1alpha1/ScaledObject';
const GPU = 'nvidia.com/gpu';

/** The value sets CI renders: defaults plus helm/aegis/ci/*.yaml. */
const VALUE_SETS: Readonly<Record<string, RenderOptions>> = {
  default: {},
  'gpu-keda': { valuesFiles: ['gpu-keda-values.yaml'], apiVersions: [KEDA_API] },
  'cpu-hpa': { valuesFiles: ['cpu-hpa-values.yaml'] },
  bundled: { valuesFiles: ['bundled-values.yaml'] },
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

/** The bundled Kafka's SASL user name is not a secret: it is set in values (kafka.sasl.client.users). */
function bundledKafka(set: string): boolean {
  return set === 'bundled' || set === 'deploy-kind';
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
  it.each(['', 'cpu-hpa-values.yaml', 'production-values.yaml', 'minimal-values.yaml'])('passes with %s', (file) => {
    const args = ['lint', CHART_DIR, ...(file ? ['--values', `${CHART_DIR}/ci/${file}`] : [])];
    const result = helm(args);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('0 chart(s) failed');
    // The only tolerated warning: the bundled dependencies are not vendored (no network to fetch them).
    const warnings = result.stdout.split('\n').filter((l) => l.includes('[WARNING]') || l.includes('[ERROR]'));
    expect(warnings.every((l) => l.includes('missing these dependencies: kafka,postgresql')), warnings.join('\n')).toBe(true);
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
        if (/PASSWORD|SECRET|TOKEN|USERNAME/.test(e.name) && !(bundledKafka(set) && e.name === 'AEGIS_KAFKA_USERNAME')) {
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
    expect(podSpecOf(worker)?.initContainers?.flatMap(gpuCount).filter((v) => v !== undefined)).toEqual([]);
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
    expect(podSpecOf(deployment('default', 'verifier'))?.initContainers?.[0]?.args).toEqual(['bin/aegis.js', 'model', 'build', '--out', '/model-out']);
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
    const spec = scaled?.['spec'] as { minReplicaCount: number; maxReplicaCount: number; triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[] };
    expect([spec.minReplicaCount, spec.maxReplicaCount]).toEqual([0, 12]);
    const trigger = spec.triggers[0];
    expect(trigger?.type).toBe('kafka');
    // The chart's defaults must name the group and topic the worker really consumes.
    expect(trigger?.metadata['consumerGroup']).toBe(CONSUMER_GROUPS.inferenceWorker);
    expect(trigger?.metadata['topic']).toBe(TOPICS.tasks);
    expect(trigger?.metadata).toMatchObject({ lagThreshold: '10', sasl: 'scram_sha512', tls: 'enable', bootstrapServers: 'b-1.kafka.example.internal:9096,b-2.kafka.example.internal:9096' });
    const auth = find(list, 'TriggerAuthentication', 'inference-worker');
    expect(trigger?.authenticationRef?.name).toBe(auth?.metadata.name);
  });

  it('falls back to a CPU HPA when keda.enabled is false', () => {
    const list = objects('cpu-hpa');
    expect(list.filter((o) => o.apiVersion.startsWith('keda.sh/'))).toEqual([]);
    const hpa = find(list, 'HorizontalPodAutoscaler', 'inference-worker');
    expect(hpa?.['spec']).toMatchObject({ minReplicas: 2, maxReplicas: 6, scaleTargetRef: { kind: 'Deployment', name: deployment('cpu-hpa', 'inference-worker').metadata.name } });
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
    Buffer.from(String((secret['data'] as Record<string, string>)[key]), 'base64').toString('utf8').trim().split('\n');

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
    expect(tallier.env?.find((e) => e.name === 'AEGIS_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'aegis-database', key: 'database-url' });
    const volumes = podSpecOf(deployment('production', 'verifier'))?.volumes ?? [];
    expect(volumes.find((v) => v['name'] === 'node-keys')).toMatchObject({ secret: { secretName: 'aegis-node-keys' } });
  });

  it('only ever renders the generated key Secrets, whose data no value can set', () => {
    for (const set of Object.keys(VALUE_SETS)) {
      const secrets = objects(set).filter((o) => o.kind === 'Secret').map(component);
      expect(secrets.every((c) => c === 'node-keys' || c === 'control-key'), set).toBe(true);
    }
  });

  it('wires the bundled Postgres and Kafka credentials from their charts\' Secrets', () => {
    const ledger = mainContainer(deployment('bundled', 'ledger'));
    expect(ledger.env?.find((e) => e.name === 'AEGIS_DATABASE_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'aegis-postgresql', key: 'password' });
    expect(env(ledger, 'AEGIS_DATABASE_URL')).toBe('postgres://aegis:$(AEGIS_DATABASE_PASSWORD)@aegis-postgresql:5432/aegis?sslmode=disable');
    expect(env(ledger, 'AEGIS_KAFKA_BROKERS')).toBe('aegis-kafka:9092');
    expect(ledger.env?.find((e) => e.name === 'AEGIS_KAFKA_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'aegis-kafka-user-passwords', key: 'client-passwords' });
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
    for (const [set, when] of [['default', 'pre-install,pre-upgrade'], ['bundled', 'post-install,pre-upgrade']] as const) {
      const migrate = find(objects(set), 'Job', 'migrate');
      const topics = find(objects(set), 'Job', 'create-topics');
      expect(migrate?.metadata.annotations?.['helm.sh/hook'], set).toBe(when);
      expect(topics?.metadata.annotations?.['helm.sh/hook'], set).toBe(when);
      expect(mainContainer(migrate as K8sObject).args).toEqual(['bin/aegis.js', 'db', 'migrate']);
      expect(mainContainer(topics as K8sObject).args).toEqual(['bin/aegis.js', 'kafka', 'create-topics', '--brokers', '$(AEGIS_KAFKA_BROKERS)', '--partitions', '12']);
    }
  });

  it('admits only inference workers (and the chart test) to the ledger gRPC port', () => {
    const policy = find(objects('default'), 'NetworkPolicy', 'ledger');
    const ingress = (policy?.['spec'] as { ingress: { ports: { port: string }[]; from?: { podSelector?: { matchLabels: Record<string, string> } }[] }[] }).ingress;
    const grpc = ingress.find((rule) => rule.ports.some((p) => p.port === 'grpc'));
    const from = grpc?.from?.map((peer) => peer.podSelector?.matchLabels['app.kubernetes.io/component']);
    expect(from).toEqual(['chart-test', 'inference-worker']);
  });

  it('exposes the task ingress through Ingress and GRPCRoute only when asked and supported', () => {
    expect(objects('default').filter((o) => o.kind === 'Ingress' || o.kind === 'GRPCRoute' || o.kind === 'ServiceMonitor')).toEqual([]);
    const prod = objects('production');
    expect(prod.map((o) => o.kind)).toEqual(expect.arrayContaining(['Ingress', 'GRPCRoute', 'ServiceMonitor']));
    // Without the CRDs being served, the optional objects are skipped rather than failing the install.
    const noCrds = renderOk({ valuesFiles: ['production-values.yaml'] });
    expect(noCrds.filter((o) => o.kind === 'GRPCRoute' || o.kind === 'ServiceMonitor')).toEqual([]);
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
