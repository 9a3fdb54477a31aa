import type { InferenceSession, TensorData } from './inference.js';

// onnxruntime-node and onnxruntime-web expose the same session and tensor API (onnxruntime-common);
// one adapter serves both, given the package's Tensor class.
interface OrtTensor {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export type OrtTensorClass = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;

export class OrtSessionAdapter implements InferenceSession {
  constructor(
    private readonly session: OrtSession,
    private readonly Tensor: OrtTensorClass,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new this.Tensor('float32', t.data, t.dims);
    const results = await this.session.run(ortFeeds);
    const out: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(results)) {
      if (t.type !== 'float32') throw new Error(`model output ${name} is ${t.type}, expected float32`);
      out[name] = { data: t.data as Float32Array, dims: t.dims };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
