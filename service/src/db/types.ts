/** The little the repositories need from a database: the same on PGlite and on a pg Pool. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** An embedding as this database takes it as a parameter (pgvector's binary form on both: db/vector-param.ts). */
  vector(e: Float32Array): unknown;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connections of a server pool, for /metrics; PGlite has one connection and no pool. */
  poolStats?(): { total: number; idle: number; waiting: number };
}
