export type { InferenceBackend, InferenceSession, SessionOptions, TensorData } from './inference.js';
export { createOnnxNodeBackend } from './onnx-node-backend.js';
export { nodeModelSource, type NodeModelSourceOptions } from './node-model-source.js';
export type { ModelSource } from './model-source.js';
export { PIPELINE_MODEL_IDS, type ModelEntry, type ModelManifest, type PipelineRole } from './model-manifest.js';
