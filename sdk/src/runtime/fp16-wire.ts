import { Float16Array } from '@petamoriken/float16';
import { floatWeightSpans } from './onnx-wire.js';

/**
 * A model's weights sent to the browser as fp16 and widened back to fp32 there, before the
 * session is made: the graph and every computation stay fp32, only the weights are rounded.
 * Float32 weights hardly compress (gzip keeps 82–96 %); halving them takes the browser's first
 * load under 8 MB. Accuracy is measured, not assumed (benchmarks/fp16-wire.ts, and
 * service/test/browser-sdk.test.ts on the shipped path): a model whose fp16 weights moved its
 * outputs too far has no `fp16Wire` in models/manifest.json and travels as fp32.
 *
 * The wire file is the model's own bytes with each converted tensor's raw_data replaced by its
 * halves, behind a table of where they were. Widening restores the original length at the
 * original offsets, so every protobuf length prefix stays right and no encoder is needed in the
 * browser. Layout, little-endian:
 *
 *   'CF16' | u32 version (1) | u32 model bytes | u32 n | n × (u32 offset, u32 count) | body
 *
 * offset: where the tensor's float32 values start in the model; count: how many; body: the model
 * without those n runs of 4·count bytes, each replaced by 2·count bytes of fp16 values.
 *
 * Converted: raw_data of FLOAT initializers with two or more dimensions (conv and gemm weights,
 * 98–99 % of the bytes) whose values all lie within fp16's range. Biases, PReLU slopes and
 * batch-norm scales (1-d) stay exact for ~50 KB; Constant nodes are left alone.
 */

const MAGIC = 0x36314643; // 'CF16'
const VERSION = 1;
const FP16_MAX = 65504;

export interface Fp16WireStats {
  tensors: number;
  floats: number;
}

/** The wire form of a model (the service makes it; deterministic, so its sha256 is pinned). */
export function encodeFp16Wire(model: Uint8Array): { wire: Uint8Array } & Fp16WireStats {
  const src = new DataView(model.buffer, model.byteOffset, model.byteLength);
  const spans = floatWeightSpans(model).filter((s) => {
    if (s.field !== 9 || s.rank < 2 || (s.end - s.start) % 4 !== 0) return false;
    for (let o = s.start; o < s.end; o += 4) {
      const v = src.getFloat32(o, true);
      if (!(Math.abs(v) <= FP16_MAX)) return false;
    }
    return true;
  });
  const floats = spans.reduce((n, s) => n + (s.end - s.start) / 4, 0);
  const header = 16 + 8 * spans.length;
  const wire = new Uint8Array(header + model.length - 2 * floats);
  const out = new DataView(wire.buffer);
  out.setUint32(0, MAGIC, true);
  out.setUint32(4, VERSION, true);
  out.setUint32(8, model.length, true);
  out.setUint32(12, spans.length, true);
  let from = 0;
  let to = header;
  spans.forEach((s, k) => {
    out.setUint32(16 + 8 * k, s.start, true);
    out.setUint32(20 + 8 * k, (s.end - s.start) / 4, true);
    wire.set(model.subarray(from, s.start), to);
    to += s.start - from;
    // Rounded to nearest, ties to even, by @petamoriken/float16; typed arrays are little-endian
    // on every platform a browser or Node runs on, as ONNX's raw_data is.
    // A copy, aligned for Float32Array (and never a Node Buffer's slice, which is a view).
    const values = new Uint8Array(s.end - s.start);
    values.set(model.subarray(s.start, s.end));
    const halves = new Float16Array(new Float32Array(values.buffer));
    wire.set(new Uint8Array(halves.buffer), to);
    to += 2 * halves.length;
    from = s.end;
  });
  wire.set(model.subarray(from), to);
  return { wire, tensors: spans.length, floats };
}

/** The model of the original length, fp16 weights widened to fp32. Throws on a malformed file. */
export function decodeFp16Wire(wire: Uint8Array): Uint8Array<ArrayBuffer> {
  const bad = (why: string) => new Error(`fp16 model file is malformed: ${why}`);
  if (wire.length < 16) throw bad('too short');
  const src = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
  if (src.getUint32(0, true) !== MAGIC) throw bad('not an fp16 model file');
  if (src.getUint32(4, true) !== VERSION) throw bad(`version ${src.getUint32(4, true)}`);
  const length = src.getUint32(8, true);
  const n = src.getUint32(12, true);
  const header = 16 + 8 * n;
  if (header > wire.length) throw bad('table past the end');
  let floats = 0;
  let previousEnd = 0;
  for (let k = 0; k < n; k++) {
    const offset = src.getUint32(16 + 8 * k, true);
    const count = src.getUint32(20 + 8 * k, true);
    if (offset < previousEnd || offset + 4 * count > length) throw bad('tensor table out of order or past the end');
    previousEnd = offset + 4 * count;
    floats += count;
  }
  if (wire.length - header !== length - 2 * floats) throw bad('body length does not match the table');

  const widen = (widenTable ??= buildWidenTable());
  const model = new Uint8Array(length);
  const out = new DataView(model.buffer);
  let from = header;
  let to = 0;
  for (let k = 0; k < n; k++) {
    const offset = src.getUint32(16 + 8 * k, true);
    const count = src.getUint32(20 + 8 * k, true);
    model.set(wire.subarray(from, from + (offset - to)), to);
    from += offset - to;
    to = offset;
    for (let i = 0; i < count; i++, from += 2, to += 4) out.setUint32(to, widen[wire[from]! | (wire[from + 1]! << 8)]!, true);
  }
  model.set(wire.subarray(from), to);
  return model;
}

let widenTable: Uint32Array | undefined;

/**
 * fp16 bits → fp32 bits, all 65,536 of them. Widening is exact (every half is a float), so this
 * is plain bit arithmetic; it is ours because the library's per-value getFloat16 took 2 s for the
 * embedder's 1.2 M weights and this takes milliseconds. Tested against the library on every value.
 */
function buildWidenTable(): Uint32Array {
  const table = new Uint32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = halfToFloatBits(h);
  return table;
}

export function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let man = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (man << 13)) >>> 0; // infinity, NaN
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (man << 13)) >>> 0;
  if (man === 0) return sign >>> 0;
  // Subnormal half (man · 2^-24): shift the leading 1 into the implicit bit.
  let e = 113;
  while ((man & 0x400) === 0) {
    man <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((man & 0x3ff) << 13)) >>> 0;
}
