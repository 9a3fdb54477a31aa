import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openPglite } from '../src/db/pglite.js';
import type { Database } from '../src/db/types.js';

// PGlite runs statements with parameters as named prepared statements through its wire protocol
// (pglite.ts). What query() gave must not change: values, nulls, errors and their codes, a clean
// session after an error, transactions and their isolation from other callers.
let db: Database;
before(async () => {
  db = await openPglite(undefined);
  await db.exec(`CREATE TABLE t (id int PRIMARY KEY, at timestamptz, doc jsonb, tags text[], n numeric, ok boolean, r real)`);
});
after(() => db.close());

test('values come back as query() gives them, for every kind of column, on the first run and the next', async () => {
  const at = new Date('2026-12-06T04:30:00.123Z');
  const row = [1, at, JSON.stringify({ a: [1, 'x'] }), ['p', 'q r'], '12.50', true, 0.1];
  await db.query('INSERT INTO t (id, at, doc, tags, n, ok, r) VALUES ($1, $2, $3, $4, $5, $6, $7)', row);
  const direct = await PGlite.create();
  try {
    await direct.exec(`CREATE TABLE t (id int PRIMARY KEY, at timestamptz, doc jsonb, tags text[], n numeric, ok boolean, r real)`);
    await direct.query('INSERT INTO t (id, at, doc, tags, n, ok, r) VALUES ($1, $2, $3, $4, $5, $6, $7)', row);
    const want = (await direct.query('SELECT * FROM t WHERE id = $1', [1])).rows;
    for (let run = 0; run < 2; run++) assert.deepEqual((await db.query('SELECT * FROM t WHERE id = $1', [1])).rows, want);
  } finally {
    await direct.close();
  }
  const [r] = (await db.query<{ at: Date; doc: unknown; tags: string[] }>('SELECT at, doc, tags FROM t WHERE id = $1', [1])).rows;
  assert.equal(r!.at.toISOString(), at.toISOString());
  assert.deepEqual(r!.doc, { a: [1, 'x'] });
  assert.deepEqual(r!.tags, ['p', 'q r']);
  assert.deepEqual((await db.query('SELECT * FROM t WHERE id = $1', [404])).rows, []);
  assert.deepEqual((await db.query('SELECT $1::text IS NULL AS none', [null])).rows, [{ none: true }]);
});

test('an error keeps its SQLSTATE and leaves the session usable; a failing statement rolls its transaction back', async () => {
  await assert.rejects(db.query('INSERT INTO t (id) VALUES ($1)', [1]), (err: { code?: string }) => err.code === '23505');
  assert.deepEqual((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE id >= $1', [0])).rows, [{ n: 1 }]);
  await assert.rejects(db.query('SELECT $1::int / 0 AS x', [1]), (err: { code?: string }) => err.code === '22012');
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id) VALUES ($1)', [2]);
      await tx.query('INSERT INTO t (id) VALUES ($1)', [1]);
    }),
    (err: { code?: string }) => err.code === '23505',
  );
  assert.deepEqual((await db.query<{ id: number }>('SELECT id FROM t WHERE id >= $1 ORDER BY id', [0])).rows, [{ id: 1 }], 'row 2 was rolled back');
  await assert.rejects(db.query('SELEC $1', [1]), (err: { code?: string }) => err.code === '42601');
});

test('a statement outside a transaction waits for an open one instead of running inside it', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const tx = db.transaction(async (t) => {
    await t.query('INSERT INTO t (id) VALUES ($1)', [3]);
    await held;
    throw new Error('roll back');
  });
  // Started while the transaction is open: it must neither see row 3 nor be rolled back with it.
  const outside = db.query('INSERT INTO t (id) VALUES ($1) RETURNING id', [4]);
  await new Promise((r) => setTimeout(r, 50));
  release();
  await assert.rejects(tx, /roll back/);
  assert.deepEqual((await outside).rows, [{ id: 4 }]);
  assert.deepEqual((await db.query<{ id: number }>('SELECT id FROM t WHERE id >= $1 ORDER BY id', [0])).rows, [{ id: 1 }, { id: 4 }]);
});

test('bytes go as binary parameters: a bytea round-trips exactly', async () => {
  const bytes = new Uint8Array([0, 1, 2, 250, 255, 0]);
  const [r] = (await db.query<{ b: Uint8Array; n: number }>('SELECT $1::bytea AS b, length($1::bytea) AS n', [bytes])).rows;
  assert.equal(r!.n, bytes.length);
  assert.deepEqual(Array.from(r!.b), Array.from(bytes));
});

test('past the cap of named statements, new texts still run (unnamed)', async () => {
  for (let k = 0; k < 1005; k++) {
    const { rows } = await db.query<{ v: number }>(`SELECT $1::int + ${k} AS v`, [1]);
    assert.equal(rows[0]!.v, 1 + k);
  }
  assert.deepEqual((await db.query<{ v: number }>('SELECT $1::int + 1 AS v', [1])).rows, [{ v: 2 }]);
});
