import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AUDITOR, createHarness, enrolledBeneficiary, syntheticFace, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await createHarness();
  for (let i = 0; i < 3; i++) await enrolledBeneficiary(h, syntheticFace(60 + i, h.dim));
});
after(() => h.close());

const verify = async () => (await h.call('GET', '/v1/audit/verify', await h.token(AUDITOR))).body;

test('the audit log refuses updates, deletes and TRUNCATE, before and after an entry is chained', async () => {
  // Entries are appended unchained; the sealer (here: the verify route) chains them.
  const unsealed = (await h.ctx.db.query<{ id: string }>('SELECT id FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 1')).rows[0]!.id;
  await assert.rejects(h.ctx.db.query("UPDATE audit_log SET actor = 'x' WHERE id = $1", [unsealed]), /append-only/);
  // Filling the chain fields by hand is refused too when anything else changes with them.
  await assert.rejects(h.ctx.db.query("UPDATE audit_log SET actor = 'x', seq = 999, prev_hash = 'a', hash = 'b' WHERE id = $1", [unsealed]), /append-only/);
  assert.equal((await verify()).ok, true);
  await assert.rejects(h.ctx.db.query("UPDATE audit_log SET actor = 'x' WHERE seq = 1"), /append-only/);
  await assert.rejects(h.ctx.db.query("UPDATE audit_log SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = 1"), /append-only/);
  await assert.rejects(h.ctx.db.query('DELETE FROM audit_log WHERE seq = 1'), /append-only/);
  await assert.rejects(h.ctx.db.query('TRUNCATE audit_log'), /append-only: TRUNCATE refused/);
  await assert.rejects(h.ctx.db.query('TRUNCATE audit_checkpoints'), /append-only: TRUNCATE refused/);
  const { rows } = await h.ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_log');
  assert.ok(Number(rows[0]!.n) >= 9, 'every entry is still there');
  assert.equal((await verify()).ok, true);
});

test('holds no biometric data', async () => {
  const { rows } = await h.ctx.db.query<{ details: unknown }>('SELECT details FROM audit_log');
  for (const r of rows) {
    const arrays = JSON.stringify(r.details).match(/\[[^\]]*\]/g) ?? [];
    assert.ok(arrays.every((a) => a.split(',').length < 8), 'no vector-like arrays in audit details');
  }
});

test('tampering with one row is detected at that row', async () => {
  const clean = await verify();
  assert.equal(clean.ok, true);
  assert.ok(clean.entries >= 9);
  // An attacker with database access can switch the trigger off; the chain still tells.
  await h.ctx.db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
    UPDATE audit_log SET details = jsonb_set(details, '{category}', '"lactating"') WHERE seq = 4;`);
  const tampered = await verify();
  assert.equal(tampered.ok, false);
  assert.equal(tampered.firstBrokenSeq, 4);
  assert.equal(tampered.reason, 'hash_mismatch');

  // Rewriting the row's own hash moves the break to the next link.
  const { rows } = await h.ctx.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = 4');
  await h.ctx.db.query("UPDATE audit_log SET hash = $1 WHERE seq = 4", [rows[0]!.hash.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))]);
  const rehashed = await verify();
  assert.equal(rehashed.firstBrokenSeq, 4);
});

test('removing the newest rows leaves every link intact, and the head row still notices', async () => {
  const h2 = await createHarness();
  try {
    await enrolledBeneficiary(h2, syntheticFace(70, h2.dim));
    const clean = (await h2.call('GET', '/v1/audit/verify', await h2.token(AUDITOR))).body;
    assert.equal(clean.ok, true);
    await h2.ctx.db.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
      DELETE FROM audit_log WHERE seq >= ${clean.headSeq - 1};`);
    // (The entries removed described a consent and an enrolment: those rows are now uncovered too.)
    const truncated = (await h2.call('GET', '/v1/audit/verify', await h2.token(AUDITOR))).body;
    assert.equal(truncated.ok, false);
    assert.equal(truncated.reason, 'head_mismatch');
    assert.equal(truncated.firstBrokenSeq, clean.headSeq - 1);
  } finally {
    await h2.close();
  }
});
