import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { lockDataDir } from './data-dir-lock.js';
import type { Database, Queryable } from './types.js';
import { encodeVectorBinary } from './vector-param.js';

/**
 * Embedded PostgreSQL (WASM) with pgvector. It is single-connection: PGlite queues
 * queries and runs a transaction exclusively, which is what makes it safe here.
 */
export async function openPglite(dataDir: string | undefined, opts: { log?: (msg: string) => void } = {}): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // One process per data directory: PGlite itself would let a second one write the same pages.
  const lock = dataDir ? await lockDataDir(dataDir, opts) : undefined;
  let pg: PGlite;
  try {
    pg = await PGlite.create(dataDir ?? 'memory://', { extensions: { vector } });
  } catch (err) {
    await lock?.release();
    throw err;
  }
  // Embeddings go as pgvector's binary form, as to a server. PGlite sends a parameter as binary
  // when the serializer for its type returns bytes; for a type it has no serializer for, it would
  // send String(value). Parsing 512 floats from text cost ~1 ms of PGlite's one core per vector
  // (benchmarks/db-params.ts: 1375 µs text against 340 µs binary per 1:1 score), and a match sends
  // up to three. The vector type's OID exists once migration 001 has created the extension, so it
  // is looked up the first time a query carries bytes.
  let serializers: { serializers: Record<number, (x: unknown) => string> } | undefined;
  const options = async (q: Pick<PGlite, 'query'>, params?: unknown[]) => {
    if (serializers || !params?.some((p) => p instanceof Uint8Array)) return serializers;
    const oid = (await q.query<{ oid: number | null }>("SELECT to_regtype('vector')::oid AS oid")).rows[0]?.oid;
    // Passed through as they are: bytes go binary, a vector written as text stays text.
    if (oid) serializers = { serializers: { [oid]: (x) => x as string } };
    return serializers;
  };
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await q.query<T>(sql, params, await options(q, params))).rows }),
    exec: async (sql: string) => {
      await q.exec(sql);
    },
    vector: encodeVectorBinary,
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    ...base,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: async () => {
      await pg.close();
      await lock?.release();
    },
  };
}
