/**
 * @aegis/model: the model side of ASLI. A deterministic ONNX decoder built from code, its
 * descriptor, an onnxruntime-node runner, ASLI generation, teacher-forced verification, the
 * verifier PoW, calibration and the tamper audit.
 */
export * from './model.errors';
export * from './decoder.config';
export * from './decoder.io';
export * from './decoder.weights';
export { encodeDecoder, OPSET } from './decoder.graph';
export * from './byte.tokenizer';
export * from './model.tokenizer';
export * from './gguf.tensors';
export * from './gguf.file';
export * from './llama.graph';
export * from './llama.import';
export * from './model.fetch';
export * from './model.descriptor';
export * from './model.store';
export * from './decoder.runner';
export * from './model.runtime';
export * from './asli.generator';
export * from './teacher-forced.pass';
export * from './asli.verifier';
export * from './verifier.pow';
export * from './task.sampler';
export * from './model.calibration';
export * from './model.audit';
export * from './asli.bench';
