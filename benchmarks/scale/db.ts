import { existsSync, readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';

/** The little the scale benchmark needs, on embedded PGlite or on one pinned server connection. */
export interface BenchDb {
  kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  /** Server only: COPY … FROM STDIN (FORMAT binary) from a stream of ready-made chunks. */
  copyBinary?(sql: string, chunks: Iterable<Buffer>): Promise<void>;
  /** Server only: a second connection, for watching the first one (its parallel workers). */
  side?: pg.Client;
  /** NOTICEs the server sent (e.g. pgvector's "hnsw graph no longer fits into maintenance_work_mem"). */
  notices: string[];
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
      notices: [],
    };
  }
  // One client, not a pool: session settings (hnsw.ef_search, maintenance_work_mem) must stick.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const notices: string[] = [];
  client.on('notice', (n) => notices.push(n.message ?? String(n)));
  await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  const side = new pg.Client({ connectionString: databaseUrl });
  await side.connect();
  return {
    kind: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    exec: async (sql) => void (await client.query(sql)),
    copyBinary: async (sql, chunks) => {
      await pipeline(Readable.from(chunks), client.query(copyStreams.from(sql)));
    },
    side,
    close: async () => {
      await side.end();
      await client.end();
    },
    notices,
  };
}

/** pgvector's text form of a vector. */
export const vectorText = (v: Float32Array, offset = 0, dim = v.length) => {
  let s = '[';
  for (let i = 0; i < dim; i++) s += (i ? ',' : '') + v[offset + i]!.toPrecision(7);
  return s + ']';
};

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Rows (id int, district int, state text, embedding vector(dim)) in PostgreSQL's binary COPY
 * format, `batch` rows per chunk. pgvector's binary vector is int16 dim, int16 unused, then the
 * float4s big-endian: no text to print or parse (512 floats as text is ~5 kB a row).
 */
export function* binaryCopyRows(templates: Float32Array, dim: number, n: number, district: (i: number) => number, state: string, batch = 2000, onBatch?: (done: number) => void): Generator<Buffer> {
  const st = Buffer.from(state, 'utf8');
  const rowBytes = 2 + (4 + 4) * 2 + 4 + st.length + 4 + 4 + 4 * dim;
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header);
  yield header; // flags 0, header extension length 0
  for (let s = 0; s < n; s += batch) {
    const end = Math.min(n, s + batch);
    const buf = Buffer.allocUnsafe((end - s) * rowBytes);
    let o = 0;
    for (let i = s; i < end; i++) {
      o = buf.writeInt16BE(4, o);
      o = buf.writeInt32BE(4, o);
      o = buf.writeInt32BE(i, o);
      o = buf.writeInt32BE(4, o);
      o = buf.writeInt32BE(district(i), o);
      o = buf.writeInt32BE(st.length, o);
      o += st.copy(buf, o);
      o = buf.writeInt32BE(4 + 4 * dim, o);
      o = buf.writeInt16BE(dim, o);
      o = buf.writeInt16BE(0, o);
      for (let k = 0; k < dim; k++) o = buf.writeFloatBE(templates[i * dim + k]!, o);
    }
    yield buf;
    onBatch?.(end);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  yield trailer;
}

/** Available memory on this machine (MemAvailable; free memory where /proc is absent). */
export function availableBytes(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return freemem();
}

/** Peak memory of a server backend and its parallel workers while `work` runs (same machine only). */
export async function watchMemory<T>(db: BenchDb, work: () => Promise<T>): Promise<{ result: T; memory: MemoryPeak | null }> {
  if (!db.side) return { result: await work(), memory: null };
  const [{ pid }] = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
  if (!existsSync(`/proc/${pid}/status`)) return { result: await work(), memory: null };
  const peak: MemoryPeak = { anonBytes: 0, shmemBytes: 0, processes: 1, note: 'peak over 1 s samples: anonymous memory summed over the leader and its parallel workers; shared memory the largest one process touched (the parallel build keeps the graph in dynamic shared memory, counted once; shared_buffers pages are in it too)' };
  let running = true;
  const sample = async () => {
    while (running) {
      const workers = (await db.side!.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE leader_pid = $1', [pid])).rows.map((r) => r.pid);
      let anon = 0;
      let shmem = 0;
      for (const p of [pid, ...workers]) {
        try {
          const s = readFileSync(`/proc/${p}/status`, 'utf8');
          anon += Number(/RssAnon:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024;
          shmem = Math.max(shmem, Number(/RssShmem:\s+(\d+)/.exec(s)?.[1] ?? 0) * 1024);
        } catch {
          /* the worker exited */
        }
      }
      peak.anonBytes = Math.max(peak.anonBytes, anon);
      peak.shmemBytes = Math.max(peak.shmemBytes, shmem);
      peak.processes = Math.max(peak.processes, 1 + workers.length);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const sampler = sample();
  try {
    return { result: await work(), memory: peak };
  } finally {
    running = false;
    await sampler;
  }
}

export interface MemoryPeak {
  anonBytes: number;
  shmemBytes: number;
  processes: number;
  note: string;
}
