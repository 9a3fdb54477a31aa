import * as ort from 'onnxruntime-node';
import type { InferenceBackend, InferenceSession, SessionOptions } from './inference.js';
import { OrtSessionAdapter, type OrtTensorClass } from './ort-session.js';

// onnxruntime-node's Linux build ships Microsoft telemetry that, at the first session, writes a
// persistent device id and a database under ~/.cache and debug logs into TMPDIR. The SDK writes no
// file, ever (sdk/test/no-files.test.ts proves it), so telemetry is off before any session exists.
process.env.ORT_DISABLE_TELEMETRY = '1';

export interface OnnxNodeOptions {
  /**
   * Flush subnormal floats to zero (default true). Off only to measure what WebAssembly, which
   * has no such mode, would compute (benchmarks/subnormals.ts).
   */
  denormalAsZero?: boolean;
}

export function createOnnxNodeBackend(backendOptions: OnnxNodeOptions = {}): InferenceBackend {
  const denormalAsZero = backendOptions.denormalAsZero ?? true;
  return {
    name: 'onnxruntime-node',
    async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<InferenceSession> {
      const threads = options.threads ?? 1;
      if (!Number.isInteger(threads) || threads < 1) throw new RangeError('threads must be a positive integer');
      const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads,
        // Our graphs are single-branch; parallel execution across nodes only adds thread hand-offs.
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        extra: {
          session: {
            intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' },
            // Denormal floats in late layers slow some CPUs by orders of magnitude; flushing
            // them to zero does not move the outputs measurably.
            set_denormal_as_zero: denormalAsZero ? '1' : '0',
          },
        },
      });
      return new OrtSessionAdapter(session, ort.Tensor as OrtTensorClass);
    },
  };
}
