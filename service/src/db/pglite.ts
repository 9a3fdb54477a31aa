import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { lockDataDir } from './data-dir-lock.js';
import type { Database, Queryable } from './types.js';
import { encodeVectorText } from './vector-param.js';

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
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await q.query<T>(sql, params)).rows }),
    exec: async (sql: string) => {
      await q.exec(sql);
    },
    vector: encodeVectorText,
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
