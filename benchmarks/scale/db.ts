import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import pg from 'pg';

/** The little the scale benchmark needs, on embedded PGlite or on one pinned server connection. */
export interface BenchDb {
  kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBenchDb(databaseUrl: string | undefined): Promise<BenchDb> {
  if (!databaseUrl) {
    const db = await PGlite.create('memory://', { extensions: { vector } });
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
    return {
      kind: 'pglite',
      query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
      exec: async (sql) => void (await db.exec(sql)),
      close: () => db.close(),
    };
  }
  // One client, not a pool: session settings (hnsw.ef_search, maintenance_work_mem) must stick.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  return {
    kind: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    exec: async (sql) => void (await client.query(sql)),
    close: () => client.end(),
  };
}

/** pgvector's text form of a vector. */
export const vectorText = (v: Float32Array, offset = 0, dim = v.length) => {
  let s = '[';
  for (let i = 0; i < dim; i++) s += (i ? ',' : '') + v[offset + i]!.toPrecision(7);
  return s + ']';
};
