import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connectDatabase } from '../src/db/connect.js';
import type { Database, Queryable } from '../src/db/types.js';
import { createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

/**
 * Statements one verification sends to the database, counted at the adapter: every statement is a
 * round trip on a server and ~0.15 ms of the one core on PGlite (benchmarks/db-params.ts). A match
 * was 12 (the audit head's SELECT … FOR UPDATE and UPDATE among them, and the ration and the consent
 * checked apart), then the sign-in session check came (+1); it was 10: the session, the
 * beneficiary, BEGIN, the nonce, the ration-and-consent check, the score, the verification, the
 * distribution, the audit entry, COMMIT. It is 12 with the lock on the beneficiary's face attempts
 * of the day (issue 10: every attempt for her waits for the one before it, so the daily limit
 * cannot be raced by parallel probes from many devices) and the bounded template refresh after a
 * confident match (templates.ts). It is 10 again (issue 11): the refresh's UPDATE is sent only when
 * the score query shows it could change a template (at most once in 30 days), and the
 * verification and its distribution are one statement.
 */
let h: Harness;
let db: Database;
let statements: string[] = [];
before(async () => {
  const url = process.env.TEST_DATABASE_URL;
  db = await connectDatabase(url ? { databaseUrl: url } : {});
  h = await createHarness({ db: counting(db) });
});
after(async () => {
  await h.close();
  await db.close();
});

function counting(inner: Database): Database {
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => (statements.push(sql.replace(/\s+/g, ' ').trim()), q.query(sql, params)),
    exec: (sql) => (statements.push(sql.replace(/\s+/g, ' ').trim()), q.exec(sql)),
    vector: (e) => q.vector(e),
  });
  return {
    ...wrap(inner),
    kind: inner.kind,
    transaction: (fn) => {
      statements.push('BEGIN');
      return inner.transaction((tx) => fn(wrap(tx))).finally(() => statements.push('COMMIT'));
    },
    close: () => inner.close(),
  };
}

test('a matching verification takes 10 statements, none on the audit head', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(120, h.dim));
  statements = [];
  const r = await h.call('POST', '/v1/verifications', await h.token(WORKER), { beneficiaryId: id, envelope: h.seal(syntheticFace(120, h.dim, 0.3, 1), WORKER.sub) });
  assert.equal(r.body.match, true);
  assert.equal(statements.length, 10, statements.join('\n'));
  assert.ok(!statements.some((s) => /^UPDATE templates/.test(s)), 'no refresh UPDATE for a template enrolled today');
  assert.ok(!statements.some((s) => /audit_head/.test(s)), 'no writer touches the audit head');
});

test('a confident match 30 days after the enrolment also sends the refresh: its UPDATE and its audit entry', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(121, h.dim));
  h.setNow(new Date(Date.now() + 35 * 86_400_000));
  try {
    statements = [];
    const r = await h.call('POST', '/v1/verifications', await h.token(WORKER), { beneficiaryId: id, envelope: h.seal(syntheticFace(121, h.dim, 0.2, 1), WORKER.sub) });
    assert.equal(r.body.match, true);
    assert.equal(statements.filter((s) => /^UPDATE templates/.test(s)).length, 1, statements.join('\n'));
    assert.equal(statements.length, 12, statements.join('\n'));
  } finally {
    h.setNow(undefined);
  }
});
