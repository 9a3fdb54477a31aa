/**
 * Just enough of the protobuf wire format to find an ONNX model's weights where they lie in its
 * bytes. Both users (onnx-subnormals.ts, fp16-wire.ts) change weight values and never lengths,
 * so the model stays valid without re-encoding, and a protobuf library (which decodes into
 * objects and re-encodes) would be the wrong tool: we need byte offsets, not messages.
 *
 * ONNX field numbers: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5;
 * NodeProto.attribute = 5; AttributeProto.t = 5, tensors = 10; TensorProto.dims = 1,
 * data_type = 2 (1 = FLOAT), float_data = 4 (packed), raw_data = 9.
 */

export interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0). */
  value: number;
  /** Payload span (wire 2). */
  start: number;
  end: number;
}

export function* protobufFields(b: Uint8Array, start: number, end: number): Generator<Field> {
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
  if (i !== end) throw new Error('model is not a valid ONNX protobuf (field past the end)');
}

/** A float32 tensor's values as they lie in the model's bytes (little-endian, 4 bytes each). */
export interface FloatSpan {
  start: number;
  end: number;
  /** Number of dimensions (0 for a scalar); biases, slopes and scales are 1-d. */
  rank: number;
  /** raw_data (9) or packed float_data (4). */
  field: 9 | 4;
}

/** The float32 values of one TensorProto, or none if it is not FLOAT. */
function floatTensor(model: Uint8Array, start: number, end: number): FloatSpan[] {
  let floatType = false;
  let rank = 0;
  const spans: Array<{ start: number; end: number; field: 9 | 4 }> = [];
  for (const f of protobufFields(model, start, end)) {
    if (f.field === 1 && f.wire === 0) rank++;
    else if (f.field === 1 && f.wire === 2) for (const _ of protobufFields(model, f.start, f.end)) rank++;
    else if (f.field === 2 && f.wire === 0) floatType = f.value === 1;
    else if ((f.field === 9 || f.field === 4) && f.wire === 2) spans.push({ start: f.start, end: f.end, field: f.field });
  }
  return floatType ? spans.map((s) => ({ ...s, rank })) : [];
}

/**
 * Every float32 weight span in file order: the graph's initializers, and with `constants` also
 * the tensors inside Constant nodes' attributes (small in these models, but subnormal all the same).
 */
export function floatWeightSpans(model: Uint8Array, options: { constants?: boolean } = {}): FloatSpan[] {
  const out: FloatSpan[] = [];
  const attribute = (start: number, end: number) => {
    for (const f of protobufFields(model, start, end)) if ((f.field === 5 || f.field === 10) && f.wire === 2) out.push(...floatTensor(model, f.start, f.end));
  };
  const node = (start: number, end: number) => {
    for (const f of protobufFields(model, start, end)) if (f.field === 5 && f.wire === 2) attribute(f.start, f.end);
  };
  const graph = (start: number, end: number) => {
    for (const f of protobufFields(model, start, end)) {
      if (f.field === 5 && f.wire === 2) out.push(...floatTensor(model, f.start, f.end));
      else if (options.constants && f.field === 1 && f.wire === 2) node(f.start, f.end);
    }
  };
  for (const f of protobufFields(model, 0, model.length)) if (f.field === 7 && f.wire === 2) graph(f.start, f.end);
  return out;
}
