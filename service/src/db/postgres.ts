import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Queryable } from './types.js';
import { encodeVectorBinary } from './vector-param.js';

/**
 * Every statement with parameters runs as a named prepared statement: each connection parses and
 * plans it once, then only binds and executes (benchmarks/db-params.ts: the 1:1 score costs the
 * backend about half the CPU prepared). The name is a hash of the text, so it is the same on every
 * connection. Statements without parameters (migrations, DDL, BEGIN/COMMIT) stay unnamed.
 */
const names = new Map<string, string>();
function statement(text: string, values: unknown[] | undefined): pg.QueryConfig {
  if (!values?.length) return { text };
  let name = names.get(text);
  if (!name) {
    name = `c_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    names.set(text, name);
  }
  return { name, text, values };
}

export async function openPostgres(connectionString: string, max = 10): Promise<Database> {
  // min = max: connections are kept once open. A new one costs a SCRAM handshake (PBKDF2 on both
  // sides), a new backend with cold caches and every prepared statement parsed again; the pool's
  // default (close after 10 s idle) made the first 200 ms of each burst after a pause wait on
  // exactly that (bench:load, p99 of a step ~100 ms from its first half second).
  const pool = new pg.Pool({ connectionString, max, min: max });
  // An idle client's error (server restart, dropped connection) is emitted on the pool; unhandled,
  // it would kill the process. The pool drops that client and the next query gets a fresh one.
  pool.on('error', () => undefined);
  // All of them now, in parallel: a wrong URL surfaces at start-up, and the first burst of the day
  // (every centre opening at 9 am) finds the pool warm instead of handshaking under load.
  const clients = await Promise.all(Array.from({ length: max }, () => pool.connect()));
  for (const c of clients) c.release();
  return {
    kind: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await pool.query(statement(sql, params))).rows as T[] }),
    exec: async (sql: string) => {
      await pool.query(sql);
    },
    vector: encodeVectorBinary,
    async transaction(fn) {
      const client = await pool.connect();
      const tx: Queryable = {
        query: async <T>(sql: string, params?: unknown[]) => ({ rows: (await client.query(statement(sql, params))).rows as T[] }),
        exec: async (sql: string) => {
          await client.query(sql);
        },
        vector: encodeVectorBinary,
      };
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
