/**
 * @aegis/model/tokenizer: a model's tokenizer and chat template (and its descriptor) without the
 * runtime. The gateway (which tokenises requests and decodes answers) and the explorer (which shows
 * a task's text) import this, so they load neither onnxruntime-node nor the GGUF importer.
 */
export * from './model.errors';
export * from './model.descriptor';
export * from './model.tokenizer';
