import { floatWeightSpans } from './onnx-wire.js';

/**
 * Zeroes the subnormal float32 weights of an ONNX model in place. WebAssembly has no
 * flush-to-zero mode, and arithmetic on subnormals is many times slower on most CPUs; Node's
 * backend sets ORT's denormal-as-zero instead. Only initializers and Constant-node tensors are
 * touched, and only values below 2^-126 in magnitude: lengths never change, so the protobuf
 * stays valid without re-encoding. benchmarks/subnormals.ts measures that embeddings do not move.
 */
export function zeroSubnormalWeights(model: Uint8Array): number {
  let zeroed = 0;
  const view = new DataView(model.buffer, model.byteOffset, model.byteLength);
  for (const { start, end } of floatWeightSpans(model, { constants: true })) {
    for (let o = start; o + 4 <= end; o += 4) {
      const bits = view.getUint32(o, true);
      // Exponent bits all zero, mantissa not: a subnormal (either sign).
      if ((bits & 0x7f800000) === 0 && (bits & 0x007fffff) !== 0) {
        view.setUint32(o, bits & 0x80000000, true);
        zeroed++;
      }
    }
  }
  return zeroed;
}
