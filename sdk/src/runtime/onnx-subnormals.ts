/**
 * Zeroes the subnormal float32 weights of an ONNX model in place. WebAssembly has no
 * flush-to-zero mode, and arithmetic on subnormals is many times slower on most CPUs; Node's
 * backend sets ORT's denormal-as-zero instead. Only initializers and Constant-node tensors are
 * touched, and only values below 2^-126 in magnitude: lengths never change, so the protobuf
 * stays valid without re-encoding. benchmarks/subnormals.ts measures that embeddings do not move.
 *
 * ONNX field numbers: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5;
 * NodeProto.attribute = 5; AttributeProto.t = 5, tensors = 10; TensorProto.data_type = 2
 * (1 = FLOAT), float_data = 4 (packed), raw_data = 9.
 */
export function zeroSubnormalWeights(model: Uint8Array): number {
  let zeroed = 0;
  const view = new DataView(model.buffer, model.byteOffset, model.byteLength);

  const tensor = (start: number, end: number) => {
    let floatType = false;
    const spans: Array<[number, number]> = [];
    for (const f of fields(model, start, end)) {
      if (f.field === 2 && f.wire === 0) floatType = f.value === 1;
      else if ((f.field === 9 || f.field === 4) && f.wire === 2) spans.push([f.start, f.end]);
    }
    if (!floatType) return;
    for (const [s, e] of spans) {
      for (let o = s; o + 4 <= e; o += 4) {
        const bits = view.getUint32(o, true);
        // Exponent bits all zero, mantissa not: a subnormal (either sign).
        if ((bits & 0x7f800000) === 0 && (bits & 0x007fffff) !== 0) {
          view.setUint32(o, bits & 0x80000000, true);
          zeroed++;
        }
      }
    }
  };
  const attribute = (start: number, end: number) => {
    for (const f of fields(model, start, end)) if ((f.field === 5 || f.field === 10) && f.wire === 2) tensor(f.start, f.end);
  };
  const node = (start: number, end: number) => {
    for (const f of fields(model, start, end)) if (f.field === 5 && f.wire === 2) attribute(f.start, f.end);
  };
  const graph = (start: number, end: number) => {
    for (const f of fields(model, start, end)) {
      if (f.field === 5 && f.wire === 2) tensor(f.start, f.end);
      else if (f.field === 1 && f.wire === 2) node(f.start, f.end);
    }
  };
  for (const f of fields(model, 0, model.length)) if (f.field === 7 && f.wire === 2) graph(f.start, f.end);
  return zeroed;
}

interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0). */
  value: number;
  /** Payload span (wire 2). */
  start: number;
  end: number;
}

function* fields(b: Uint8Array, start: number, end: number): Generator<Field> {
  let i = start;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (i >= end) throw new Error('model is not a valid ONNX protobuf (truncated varint)');
      const byte = b[i++]!;
      v += (byte & 0x7f) * mul;
      if (byte < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < end) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) yield { field, wire, value: varint(), start: i, end: i };
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (i + len > end) throw new Error('model is not a valid ONNX protobuf (length past the end)');
      const s = i;
      i += len;
      yield { field, wire, value: 0, start: s, end: i };
    } else throw new Error(`model is not a valid ONNX protobuf (wire type ${wire})`);
  }
}
