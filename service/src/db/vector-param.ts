import { endianness } from 'node:os';

/**
 * How an embedding travels to the database as a query parameter.
 *
 * Both databases take pgvector's binary form (int16 dimension, int16 unused, float4 values, all
 * big-endian), read with no parsing at all: the pg driver sends a Buffer as a binary parameter,
 * and PGlite does when the vector type's serializer returns bytes (db/pglite.ts). The text form,
 * with nine significant digits (enough for a float32 to come back bit-identical), is kept for
 * benchmarks/db-params.ts, which measures the three encodings side by side.
 */
export function encodeVectorText(e: Float32Array): string {
  let s = '[';
  for (let i = 0; i < e.length; i++) s += (i ? ',' : '') + e[i]!.toPrecision(9);
  return s + ']';
}

const LITTLE_ENDIAN = endianness() === 'LE';

export function encodeVectorBinary(e: Float32Array): Buffer {
  const b = Buffer.allocUnsafe(4 + 4 * e.length);
  b.writeUInt16BE(e.length, 0);
  b.writeUInt16BE(0, 2);
  if (LITTLE_ENDIAN) {
    // One copy and one byte swap instead of 512 writeFloatBE calls.
    Buffer.from(e.buffer, e.byteOffset, e.byteLength).copy(b, 4);
    b.subarray(4).swap32();
  } else {
    for (let i = 0; i < e.length; i++) b.writeFloatBE(e[i]!, 4 + 4 * i);
  }
  return b;
}
