import { endianness } from 'node:os';

/**
 * How an embedding travels to the database as a query parameter.
 *
 * pgvector's text form is what PGlite can take (its query API sends every parameter as text), and
 * nine significant digits are enough for a float32 to come back bit-identical, so the text is
 * about half as long as pgvector.toSql's 17-digit doubles and the database parses half as many
 * characters. The pg driver sends a Buffer as a binary parameter, and pgvector's binary form (int16
 * dimension, int16 unused, float4 values, all big-endian) is read with no parsing at all.
 * benchmarks/db-params.ts measures the three.
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
