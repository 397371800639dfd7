import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
}

export interface Probe {
  readonly grpc?: { readonly port: number; readonly service?: string };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly resources?: { readonly requests?: Record<string, string | number>; readonly limits?: Record<string, string | number> };
  readonly securityContext?: Record<string, unknown>;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly securityContext?: Record<string, unknown>;
  readonly automountServiceAccountToken?: boolean;
  readonly tolerations?: readonly { readonly key?: string }[];
  readonly volumes?: readonly Record<string, unknown>[];
}

/** Parses `helm template` output; a document that is not a Kubernetes object is an error. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered output: ${doc.errors[0]?.message ?? ''}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (
      !isObject(value) ||
      typeof value['apiVersion'] !== 'string' ||
      typeof value['kind'] !== 'string' ||
      !isObject(value['metadata']) ||
      typeof value['metadata']['name'] !== 'string'
    ) {
      throw new Error(`rendered document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(value as unknown as K8sObject);
  }
  return objects;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The pod template of a workload (Deployment, Job) or the spec of a Pod; undefined otherwise. */
export function podSpecOf(object: K8sObject): PodSpec | undefined {
  const spec = object['spec'];
  if (!isObject(spec)) return undefined;
  if (object.kind === 'Pod') return spec as unknown as PodSpec;
  const template = spec['template'];
  if ((object.kind === 'Deployment' || object.kind === 'Job') && isObject(template) && isObject(template['spec'])) {
    return template['spec'] as unknown as PodSpec;
  }
  return undefined;
}

export function component(object: K8sObject): string | undefined {
  return object.metadata.labels?.['app.kubernetes.io/component'];
}

export function find(objects: readonly K8sObject[], kind: string, componentName: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && component(o) === componentName);
}
