/**
 * @aegis/model/tokenizer: a model's tokenizer and chat template (and its descriptor) without the
 * runtime. The gateway tokenises requests and decodes answers with this, so it does not load
 * onnxruntime-node or the GGUF importer that `@aegis/model` brings.
 */
export * from './model.errors';
export * from './model.descriptor';
export * from './model.tokenizer';
