/**
 * The SDK's Node platform: onnxruntime-node, model files verified on disk, sharp for decoding.
 * The browser's counterpart is ./browser.ts; both build the same pipeline (vision/pipeline.ts).
 */
import { decodeImage } from './decode/sharp.js';
import { createOnnxNodeBackend } from './runtime/onnx-node-backend.js';
import type { InferenceBackend } from './runtime/inference.js';
import type { ModelSource } from './runtime/model-source.js';
import { nodeModelSource, type NodeModelSourceOptions } from './runtime/node-model-source.js';
import { buildFacePipeline, type FacePipeline, type FacePipelineOptions } from './vision/pipeline.js';

export * from './vision/index.js';
export { decodeImage } from './decode/sharp.js';

export interface NodeFacePipelineOptions extends FacePipelineOptions, NodeModelSourceOptions {
  /** Inference engine. Default: onnxruntime-node. */
  backend?: InferenceBackend;
  /** Where model bytes come from. Default: the verified files next to models/manifest.json. */
  models?: ModelSource;
}

/** Loads every model once (from disk, sha256-checked); the pipeline reuses them for every capture. */
export function createFacePipeline(options: NodeFacePipelineOptions = {}): Promise<FacePipeline> {
  return buildFacePipeline(
    { backend: options.backend ?? createOnnxNodeBackend(), models: options.models ?? nodeModelSource(options), decode: decodeImage },
    options,
  );
}
