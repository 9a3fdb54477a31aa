import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { f16round, getFloat16 } from '@petamoriken/float16';
import * as ort from 'onnxruntime-node';
import { decodeFp16Wire, encodeFp16Wire, halfToFloatBits } from '../src/runtime/fp16-wire.js';
import { nodeModelSource } from '../src/runtime/node-model-source.js';
import { floatWeightSpans } from '../src/runtime/onnx-wire.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const models = nodeModelSource();
const manifest = await models.manifest();
const shipped = Object.entries(manifest.models).filter(([, e]) => e.fp16Wire);

test('widening a half gives the value @petamoriken/float16 reads, for all 65,536 of them', () => {
  const view = new DataView(new ArrayBuffer(4));
  for (let h = 0; h < 65536; h++) {
    view.setUint16(0, h, true);
    const expected = getFloat16(view, 0, true);
    view.setUint32(0, halfToFloatBits(h), true);
    const got = view.getFloat32(0, true);
    if (Number.isNaN(expected)) assert.ok(Number.isNaN(got), `half ${h}`);
    else assert.ok(Object.is(got, expected), `half ${h.toString(16)}: ${got} vs ${expected}`);
  }
});

test('the manifest ships fp16 wire files for the first-load models', () => {
  assert.ok(shipped.length >= 5, `fp16 wire entries: ${shipped.map(([id]) => id).join(', ')}`);
});

for (const [id, entry] of shipped) {
  test(`${id}: the wire file and the rebuilt model are the ones the manifest pins`, async () => {
    const model = await models.load(id);
    const { wire } = encodeFp16Wire(model);
    const rebuilt = decodeFp16Wire(wire);
    const actual = { file: entry.fp16Wire!.file, sha256: sha256(wire), bytes: wire.length, modelSha256: sha256(rebuilt) };
    assert.deepEqual(actual, entry.fp16Wire, 'update models/manifest.json (after re-running npm run bench:fp16) if the encoder changed on purpose');
    // The service hands it a Buffer from readFile (whose slice() is a view, not a copy).
    assert.equal(sha256(encodeFp16Wire(Buffer.from(model)).wire), entry.fp16Wire!.sha256);
    assert.ok(wire.length < model.length * 0.6, `${wire.length} of ${model.length} bytes`);
  });

  test(`${id}: the rebuilt model keeps every byte but the rounded weights, and each weight is fp16's nearest`, async () => {
    const model = await models.load(id);
    const rebuilt = decodeFp16Wire(encodeFp16Wire(model).wire);
    assert.equal(rebuilt.length, model.length);
    const a = new DataView(model.buffer, model.byteOffset, model.byteLength);
    const b = new DataView(rebuilt.buffer);
    const converted = floatWeightSpans(model).filter((s) => s.field === 9 && s.rank >= 2);
    let pos = 0;
    let rounded = 0;
    for (const s of converted) {
      assert.ok(Buffer.from(model.subarray(pos, s.start)).equals(Buffer.from(rebuilt.subarray(pos, s.start))), `bytes before ${s.start} changed`);
      for (let o = s.start; o < s.end; o += 4) {
        const want = f16round(a.getFloat32(o, true));
        assert.ok(Object.is(b.getFloat32(o, true), want), `weight at ${o}`);
        if (want !== a.getFloat32(o, true)) rounded++;
      }
      pos = s.end;
    }
    assert.ok(Buffer.from(model.subarray(pos)).equals(Buffer.from(rebuilt.subarray(pos))));
    assert.ok(rounded > 0, 'nothing was rounded: the test would pass on a copy');
    // And it is still a model onnxruntime loads, with the original's inputs and outputs.
    const [s1, s2] = await Promise.all([ort.InferenceSession.create(model), ort.InferenceSession.create(rebuilt)]);
    assert.deepEqual([s2.inputNames, s2.outputNames], [s1.inputNames, s1.outputNames]);
    await Promise.all([s1.release(), s2.release()]);
  });
}

/** A hand-made ModelProto: graph (7) of FLOAT initializers (5) with the given dims and values. */
function tinyModel(tensors: Array<{ dims: number[]; values: number[] }>): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    out.push(n);
    return out;
  };
  const field = (no: number, payload: number[]) => [...varint(no * 8 + 2), ...varint(payload.length), ...payload];
  const initializers = tensors.flatMap(({ dims, values }) => {
    const raw = [...new Uint8Array(new Float32Array(values).buffer)];
    return field(5, [...dims.flatMap((d) => [...varint(1 * 8), ...varint(d)]), ...varint(2 * 8), 1, ...field(9, raw)]);
  });
  return Uint8Array.from([...varint(1 * 8), 8, ...field(7, initializers)]);
}

test('weights beyond fp16 range, and 1-d tensors (biases, slopes), stay fp32', () => {
  const model = tinyModel([
    { dims: [2, 2], values: [0.1, -0.2, 0.3, 1 / 3] },
    { dims: [2, 2], values: [0.1, 70000, 0.3, 0.4] },
    { dims: [4], values: [0.1, 0.2, 0.3, 1 / 3] },
  ]);
  const { wire, tensors, floats } = encodeFp16Wire(model);
  assert.deepEqual({ tensors, floats }, { tensors: 1, floats: 4 });
  const rebuilt = decodeFp16Wire(wire);
  const spans = floatWeightSpans(rebuilt);
  const values = spans.map((s) => Array.from(new Float32Array(rebuilt.slice(s.start, s.end).buffer)));
  assert.deepEqual(values[0], [0.1, -0.2, 0.3, 1 / 3].map(f16round));
  assert.deepEqual(values[1], Array.from(new Float32Array([0.1, 70000, 0.3, 0.4])));
  assert.deepEqual(values[2], Array.from(new Float32Array([0.1, 0.2, 0.3, 1 / 3])));
});

test('a malformed wire file is refused, never half-decoded', () => {
  const { wire } = encodeFp16Wire(tinyModel([{ dims: [2, 2], values: [1, 2, 3, 4] }, { dims: [1, 2], values: [5, 6] }]));
  const patched = (offset: number, value: number) => {
    const copy = wire.slice();
    new DataView(copy.buffer).setUint32(offset, value, true);
    return copy;
  };
  assert.equal(decodeFp16Wire(wire).length, new DataView(wire.buffer).getUint32(8, true));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty', new Uint8Array(0), /too short/],
    ['an .onnx file', tinyModel([{ dims: [1, 1], values: [1] }]), /not an fp16 model file|too short/],
    ['version 2', patched(4, 2), /version 2/],
    ['table past the end', patched(12, 1_000_000), /table past the end/],
    ['tensor past the model', patched(20, 1_000_000), /past the end/],
    ['tensors out of order', patched(24, 0), /out of order/],
    ['truncated', wire.subarray(0, wire.length - 1), /body length/],
    ['one byte too many', Uint8Array.from([...wire, 0]), /body length/],
  ];
  for (const [what, bytes, message] of cases) assert.throws(() => decodeFp16Wire(bytes), message, what);
});
