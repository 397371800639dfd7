/**
 * @aegis/model/descriptor: a model folder's `model.json` (parse, validate, limits) without the
 * runtime. Services that only check tasks against a model's limits (ingress) import this, so they
 * do not load onnxruntime-node, the tokenizers or the GGUF importer that `@aegis/model` brings.
 */
export * from './model.errors';
export * from './model.descriptor';
