import Ajv2020 from 'ajv/dist/2020';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { K8sObject } from './manifests';

type Validate = (object: K8sObject) => void;

/** Validation through the kubernetes-models classes: the JSON schemas of the Kubernetes OpenAPI (and the KEDA / prometheus-operator CRDs). */
function model(Model: new (data: never) => { validate(): void }): Validate {
  return (object) => new Model(object as never).validate();
}

/**
 * GRPCRoute has no kubernetes-models package matching our kubernetes-models major: this is the
 * part of the gateway.networking.k8s.io/v1 CRD schema the chart uses (required fields, types,
 * ranges, no unknown fields), transcribed from the Gateway API v1.2 CRD.
 */
const grpcRouteSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'gateway.networking.k8s.io/v1' },
    kind: { const: 'GRPCRoute' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        parentRefs: {
          type: 'array',
          minItems: 1,
          maxItems: 32,
          items: {
            type: 'object',
            required: ['name'],
            additionalProperties: false,
            properties: {
              group: { type: 'string' },
              kind: { type: 'string' },
              name: { type: 'string', minLength: 1, maxLength: 253 },
              namespace: { type: 'string', minLength: 1, maxLength: 63 },
              sectionName: { type: 'string' },
              port: { type: 'integer', minimum: 1, maximum: 65535 },
            },
          },
        },
        hostnames: { type: 'array', maxItems: 16, items: { type: 'string', minLength: 1, maxLength: 253 } },
        rules: {
          type: 'array',
          maxItems: 16,
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              matches: {
                type: 'array',
                maxItems: 64,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    method: {
                      type: 'object',
                      additionalProperties: false,
                      properties: {
                        type: { enum: ['Exact', 'RegularExpression'] },
                        service: { type: 'string', maxLength: 1024 },
                        method: { type: 'string', maxLength: 1024 },
                      },
                    },
                    headers: { type: 'array' },
                  },
                },
              },
              backendRefs: {
                type: 'array',
                maxItems: 16,
                items: {
                  type: 'object',
                  required: ['name'],
                  additionalProperties: false,
                  properties: {
                    name: { type: 'string', minLength: 1 },
                    namespace: { type: 'string' },
                    port: { type: 'integer', minimum: 1, maximum: 65535 },
                    weight: { type: 'integer', minimum: 0 },
                    group: { type: 'string' },
                    kind: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
const validateGrpcRoute = new Ajv2020({ allErrors: true, strict: true }).compile(grpcRouteSchema);

const VALIDATORS: Readonly<Record<string, Validate>> = {
  'v1/ConfigMap': model(ConfigMap),
  'v1/Secret': model(Secret),
  'v1/Service': model(Service),
  'v1/ServiceAccount': model(ServiceAccount),
  'v1/Pod': model(Pod),
  'apps/v1/Deployment': model(Deployment),
  'apps/v1/StatefulSet': model(StatefulSet),
  'batch/v1/Job': model(Job),
  'policy/v1/PodDisruptionBudget': model(PodDisruptionBudget),
  'autoscaling/v2/HorizontalPodAutoscaler': model(HorizontalPodAutoscaler),
  'networking.k8s.io/v1/NetworkPolicy': model(NetworkPolicy),
  'networking.k8s.io/v1/Ingress': model(Ingress),
  'keda.sh/v1alpha1/ScaledObject': model(ScaledObject),
  'keda.sh/v1alpha1/TriggerAuthentication': model(TriggerAuthentication),
  'monitoring.coreos.com/v1/ServiceMonitor': model(ServiceMonitor),
  'gateway.networking.k8s.io/v1/GRPCRoute': (object) => {
    if (!validateGrpcRoute(object)) throw new Error(JSON.stringify(validateGrpcRoute.errors));
  },
};

/** Problems of one object, empty when it is valid. A kind without a validator is a problem too. */
export function validateObject(object: K8sObject): string[] {
  const id = `${object.kind}/${object.metadata.name}`;
  const validate = VALIDATORS[`${object.apiVersion}/${object.kind}`];
  if (!validate) return [`${id}: no schema for ${object.apiVersion} ${object.kind} (add a validator)`];
  try {
    validate(object);
    return [];
  } catch (err: unknown) {
    return [`${id}: ${err instanceof Error ? err.message : String(err)}`];
  }
}
