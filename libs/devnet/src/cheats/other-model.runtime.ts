import { builtinModelConfig, encodeDecoder, generateWeights, ModelRuntime, perturbWeights, type RunnerOptions } from '@aegis/model';

/** Relative noise of the other-model tamper: a different checkpoint of the same architecture. */
export const OTHER_MODEL_NOISE = 0.05;

/**
 * The other-model misbehaviour's runtime: the built-in model's weights plus seeded noise, served
 * under the honest descriptor (same id, shapes and probe settings), as a node that swapped in a
 * cheaper or fine-tuned checkpoint would. Only built-in models can be perturbed here.
 */
export async function otherModelRuntime(honest: ModelRuntime, options: RunnerOptions = {}): Promise<ModelRuntime> {
  const config = builtinModelConfig(honest.descriptor.modelId);
  const onnx = encodeDecoder(config, perturbWeights(generateWeights(config), 'aegis/other-model', OTHER_MODEL_NOISE));
  return ModelRuntime.fromBytes(honest.descriptor, onnx, options);
}
