import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import { migrate } from './migrate.js';
import type { Database } from './types.js';

export interface DatabaseConfig {
  /** A PostgreSQL server with pgvector; unset means embedded PGlite. */
  databaseUrl?: string;
  /** PGlite's data directory; unset means in memory (tests). */
  dataDir?: string;
  /** Connections in the pg pool (server only). */
  poolMax?: number;
  /** Start-up notes (e.g. waiting for a stale lock). */
  log?: (msg: string) => void;
}

/** Opens the configured database and brings its schema up to date. */
export async function connectDatabase(config: DatabaseConfig): Promise<Database> {
  const db = config.databaseUrl ? await openPostgres(config.databaseUrl, config.poolMax) : await openPglite(config.dataDir, config.log ? { log: config.log } : {});
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
