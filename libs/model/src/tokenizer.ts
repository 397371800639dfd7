/**
 * @aegis/model/tokenizer: a model's descriptor and tokenizer without the runtime. Read-only
 * tools that show a task's text (the explorer) import this, so they do not load onnxruntime-node.
 */
export * from './model.errors';
export * from './model.descriptor';
export * from './model.tokenizer';
