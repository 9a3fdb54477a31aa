import { mkdirSync } from 'node:fs';
import { parse as pgliteParse, PGlite, protocol } from '@electric-sql/pglite';
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
  const prepared = preparedStatements(pg);
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>, inTransaction: boolean): Queryable => ({
    query: async <T>(sql: string, params?: unknown[]) =>
      params?.length ? { rows: await prepared.run<T>(sql, params, inTransaction) } : { rows: (await q.query<T>(sql)).rows },
    exec: async (sql: string) => {
      await q.exec(sql);
    },
    vector: encodeVectorBinary,
  });
  const base = wrap(pg, false);
  return {
    kind: 'pglite',
    ...base,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx, true))),
    close: async () => {
      await pg.close();
      await lock?.release();
    },
  };
}

/** How many statement texts get a name of their own; past it a new text runs unnamed. */
const MAX_PREPARED = 1000;

/**
 * Statements with parameters as named prepared statements, as on the server (postgres.ts). PGlite's
 * query() parses, plans and describes every statement anew, in six calls into the WASM backend
 * (Parse, Describe, Bind, Describe, Execute, Sync); here a statement is parsed and described
 * once per instance, and each run is one call: Bind, Describe, Execute, Sync. PGlite's own
 * serializers and parsers turn values into parameters and rows back into values, so results are
 * what query() gives. execProtocol takes no lock of its own: outside a transaction the call takes
 * PGlite's exclusive lock (as query() does); inside one, the transaction already holds it and the
 * call takes the query lock, as the transaction's own queries do.
 */
function preparedStatements(pg: PGlite) {
  const statements = new Map<string, { name: string; paramTypes: number[] }>();
  const { serialize } = protocol;
  const concat = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const prepare = async (text: string) => {
    let st = statements.get(text);
    if (!st) {
      // The service's statements are a fixed set; should texts ever be built from values, the
      // ones past the cap go unnamed (parsed every time) instead of piling up in the backend.
      const name = statements.size < MAX_PREPARED ? `chehra_${statements.size + 1}` : '';
      const { messages } = await pg.execProtocol(concat([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]), { syncToFs: false });
      st = { name, paramTypes: pgliteParse.parseDescribeStatementResults(messages) };
      if (name) statements.set(text, st);
    }
    return st;
  };
  const runOnce = async <T>(text: string, params: unknown[]): Promise<T[]> => {
    const st = await prepare(text);
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      // Bytes go as they are, in binary: embeddings in pgvector's binary form (vector-param.ts), as
      // to a server. Parsing 512 floats from text cost ~1 ms of PGlite's one core per vector
      // (benchmarks/db-params.ts: 1375 µs text against 340 µs binary per 1:1 score).
      if (v instanceof Uint8Array) return v;
      const ser = pg.serializers[st.paramTypes[i]!];
      return ser ? ser(v) : String(v);
    });
    const { messages } = await pg.execProtocol(concat([serialize.bind({ statement: st.name, values: values as string[] }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]), { syncToFs: false });
    return (pgliteParse.parseResults(messages, pg.parsers)[0]?.rows ?? []) as T[];
  };
  return {
    async run<T>(text: string, params: unknown[], inTransaction: boolean): Promise<T[]> {
      if (inTransaction) return pg._runExclusiveQuery(() => runOnce<T>(text, params));
      return pg.runExclusive(async () => {
        const rows = await runOnce<T>(text, params);
        await pg.syncToFs();
        return rows;
      });
    },
  };
}
