/**
 * The one seam between the vision code and an inference engine. The vision code builds
 * Float32Array tensors and reads Float32Array outputs; nothing else about the engine leaks,
 * so a browser build can swap onnxruntime-node for onnxruntime-web without touching vision/.
 */
export interface TensorData {
  data: Float32Array;
  dims: readonly number[];
}

export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

export interface SessionOptions {
  /** Threads used inside one operator (intra-op). Phones: 1 or 2. Default 1. */
  threads?: number;
  /**
   * Let idle pool threads spin between operators. Lower latency with threads > 1, but it burns
   * a core while waiting; off by default for phones' batteries.
   */
  allowSpinning?: boolean;
}

export interface InferenceBackend {
  readonly name: string;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<InferenceSession>;
}
