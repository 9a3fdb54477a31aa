import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectDatabase } from '../src/db/connect.js';
import type { Database } from '../src/db/types.js';
import { syntheticFace } from './harness.js';

// An embedding goes to the database in pgvector's binary form (db/vector-param.ts) on PGlite and on
// a server (TEST_DATABASE_URL). What is stored must be the float32 values exactly, and a score
// computed in the database must be the cosine of the two vectors.
let db: Database;
before(async () => {
  const url = process.env.TEST_DATABASE_URL;
  db = await connectDatabase(url ? { databaseUrl: url } : {});
  // Not TEMP: on a server the pool may answer each statement from another connection.
  await db.exec('DROP TABLE IF EXISTS vector_param_probe; CREATE TABLE vector_param_probe (id int PRIMARY KEY, embedding vector(512))');
});
after(async () => {
  await db.exec('DROP TABLE vector_param_probe');
  await db.close();
});

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! ** 2), (nb += b[i]! ** 2);
  return dot / Math.sqrt(na * nb);
};

test('an embedding sent as a parameter is stored bit for bit, and scored as its cosine', async () => {
  const stored = syntheticFace(31, 512);
  const probe = syntheticFace(31, 512, 0.3, 2);
  stored[0] = 1.401298464324817e-45; // the smallest subnormal float32: still itself after the round trip
  stored[1] = -0;
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO vector_param_probe VALUES (1, $1)', [tx.vector(stored)]);
  });
  const { rows } = await db.query<{ text: string; score: number }>('SELECT embedding::text AS text, 1 - (embedding <=> $1) AS score FROM vector_param_probe WHERE id = 1', [db.vector(probe)]);
  const back = Float32Array.from(JSON.parse(rows[0]!.text) as number[]);
  assert.deepEqual([...back].map((x, i) => Object.is(x, stored[i]) || x === stored[i]), new Array(512).fill(true));
  assert.ok(Math.abs(Number(rows[0]!.score) - cosine(stored, probe)) < 1e-6, `${rows[0]!.score} vs ${cosine(stored, probe)}`);
});

test('a vector of the wrong dimension is refused by the database, not truncated', async () => {
  await assert.rejects(db.query('INSERT INTO vector_param_probe VALUES (2, $1)', [db.vector(new Float32Array(511).fill(0.01))]), /dimension|expected 512/i);
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM vector_param_probe WHERE id = 2');
  assert.equal(rows[0]!.n, 0);
});
