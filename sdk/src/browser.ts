/**
 * The SDK's browser entry (`@chehra/sdk/browser`): the same vision pipeline as Node's, on
 * onnxruntime-web (WASM), with models fetched from the service and verified by sha256, and
 * images decoded by the browser. No sharp, no onnxruntime-node, no storage API.
 */
import { decodeImageInBrowser, grabVideoFrame } from './decode/browser.js';
import { PIPELINE_MODEL_IDS } from './runtime/model-manifest.js';
import { fetchModelSource } from './runtime/fetch-model-source.js';
import { createOnnxWebBackend, webThreads } from './runtime/onnx-web-backend.js';
import { buildFacePipeline, type FacePipeline, type FacePipelineOptions } from './vision/pipeline.js';

export * from './vision/index.js';
export { decodeImageInBrowser, grabVideoFrame, webThreads, fetchModelSource, createOnnxWebBackend, PIPELINE_MODEL_IDS };
export { zeroSubnormalWeights } from './runtime/onnx-subnormals.js';
export { WorkerSession, ChehraSessionError, type PendingCapture, type WorkerSessionOptions } from './session.js';
export { ChehraClient, ChehraApiError, ChehraError } from './client.js';
export { EnrolmentGuide } from './enrolment-guide.js';

export interface BrowserFacePipelineOptions extends FacePipelineOptions {
  /** Where the service serves the models and manifest.json. Default '/app/models/'. */
  modelBase?: string;
  /** Where the service serves onnxruntime-web's .mjs and .wasm. Default '/app/ort/'. */
  wasmBase?: string;
  /**
   * Zero the subnormal weights of these models after the hash check. Default: the embedder and
   * the landmark model (measured: embeddings unchanged, see benchmarks/subnormals.ts).
   */
  zeroSubnormals?: readonly string[];
  /**
   * Fetch models as fp16 wire files where the manifest has one, widened to fp32 before use
   * (default true; runtime/fp16-wire.ts). False: the fp32 files, twice the bytes.
   */
  fp16Wire?: boolean;
  onModelLoaded?: (id: string, bytes: number, ms: number) => void;
}

export const DEFAULT_ZERO_SUBNORMALS: readonly string[] = [PIPELINE_MODEL_IDS.embedder, PIPELINE_MODEL_IDS.landmarks];

/** Fetches, verifies and loads the models; fr_pose only when a capture first needs it. */
export function createBrowserFacePipeline(options: BrowserFacePipelineOptions = {}): Promise<FacePipeline> {
  const backend = createOnnxWebBackend({ wasmBase: options.wasmBase ?? '/app/ort/', threads: options.threads });
  const models = fetchModelSource({
    base: options.modelBase ?? '/app/models/',
    zeroSubnormals: options.zeroSubnormals ?? DEFAULT_ZERO_SUBNORMALS,
    fp16Wire: options.fp16Wire,
    onLoaded: options.onModelLoaded,
  });
  // Web threads are one pool for all sessions, so the pipeline runs one lane (threads: 1 here).
  return buildFacePipeline({ backend, models, decode: decodeImageInBrowser }, { poseModel: 'on-demand', ...options, threads: 1 });
}
