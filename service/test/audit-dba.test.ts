import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { compactVerify, importJWK } from 'jose';
import { generateSigningKey } from '../src/auth/signing-key.js';
import { sealAuditLog } from '../src/db/repositories/audit.js';
import { signCheckpoint } from '../src/domain/audit-checkpoint.js';
import { ADMIN, AUDITOR, createHarness, enrolledBeneficiary, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

/**
 * What someone with a database login (triggers can be switched off) can and cannot hide from an
 * auditor who keeps the service's signed checkpoints. The tests run in order on one database: each
 * attack starts from what the one before left.
 */
let h: Harness;
let auditor: string;
let exported: { seq: number; hash: string; jws: string };
let changed: string;
before(async () => {
  h = await createHarness();
  auditor = await h.token(AUDITOR);
  const worker = await h.token(WORKER);
  for (let i = 0; i < 2; i++) {
    const { id } = await enrolledBeneficiary(h, syntheticFace(80 + i, h.dim));
    const v = await h.call('POST', '/v1/verifications', worker, { beneficiaryId: id, envelope: h.seal(syntheticFace(80 + i, h.dim, 0.3, 1), WORKER.sub) });
    assert.equal(v.body.match, true);
  }
  // An audit entry that no business row refers to: only the chain and its checkpoints protect it.
  const idn = await h.call('POST', '/v1/identifications', await h.token(ADMIN), { envelope: h.seal(syntheticFace(80, h.dim, 0.3, 2), ADMIN.sub) });
  assert.equal(idn.status, 200);
  changed = await changesThroughTheService();
});
after(() => h.close());

/**
 * Through the service, before the auditor's checkpoint: an account added, its MPIN reset, then
 * disabled; change requests ended every way one can end (applied by the beneficiary's face, a
 * re-enrolment and a mobile change; asked for, approved by a supervisor, then applied; rejected;
 * one left pending); a category change. Returns the beneficiary whose requests these are.
 */
async function changesThroughTheService(): Promise<string> {
  const worker = await h.token(WORKER);
  const supervisor = await h.token(SUPERVISOR);
  const admin = await h.token(ADMIN);
  const added = await h.call('POST', '/v1/users', admin, { role: 'worker', mobile: '9600000001', name: 'Audited', awc: 'AWC-001' });
  assert.equal(added.status, 201);
  assert.equal((await h.call('POST', `/v1/users/${added.body.user.id}/reset-mpin`, admin)).status, 200);
  assert.equal((await h.call('POST', `/v1/users/${added.body.user.id}/disable`, admin)).status, 200);

  const face = syntheticFace(90, h.dim);
  const { id } = await enrolledBeneficiary(h, face);
  const reEnrol = (f: Float32Array) => h.call('POST', `/v1/beneficiaries/${id}/templates`, worker, { envelope: h.seal(f, WORKER.sub) });
  assert.equal((await reEnrol(syntheticFace(90, h.dim, 0.3, 5))).status, 201, 'her own face allows it');
  const asked = await reEnrol(syntheticFace(91, h.dim));
  assert.deepEqual([asked.status, asked.body.code], [409, 'reenrolment_needs_approval']);
  const decide = (requestId: string, decision: 'approve' | 'reject') => h.call('POST', `/v1/change-requests/${requestId}/decision`, supervisor, { decision, note: 'Checked at the centre' });
  assert.equal((await decide(asked.body.changeRequestId, 'approve')).status, 200);
  assert.equal((await reEnrol(syntheticFace(91, h.dim))).status, 201, 'applied after the approval');
  const mobile = (n: string, f?: Float32Array) => h.call('POST', `/v1/beneficiaries/${id}/mobile`, worker, { mobile: n, ...(f ? { envelope: h.seal(f, WORKER.sub) } : {}) });
  assert.equal((await mobile('+919811100001', syntheticFace(91, h.dim, 0.3, 6))).status, 200);
  const pending = await mobile('+919811100002');
  assert.equal(pending.status, 202);
  assert.equal((await decide(pending.body.id, 'approve')).body.status, 'applied');
  const rejected = await mobile('+919811100003');
  assert.equal((await decide(rejected.body.id, 'reject')).body.status, 'rejected');
  assert.equal((await mobile('+919811100004')).status, 202, 'one left pending');
  assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/category`, worker, { category: 'lactating' })).status, 200);

  return id;
}

const verify = async (checkpoint?: string) => (await h.call('GET', `/v1/audit/verify${checkpoint ? `?checkpoint=${checkpoint}` : ''}`, auditor)).body;
/** As a DBA would: switch the audit triggers off, run `sql`, switch them on again. */
const asDba = (sql: string) =>
  h.ctx.db.exec(`ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;
    ${sql}
    ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_checkpoints ENABLE TRIGGER USER;`);

test('an auditor signs a checkpoint of the head and exports it with the key that verifies it anywhere', async () => {
  const made = await h.call('POST', '/v1/audit/checkpoints', auditor);
  assert.equal(made.status, 201);
  const again = await h.call('POST', '/v1/audit/checkpoints', auditor);
  assert.deepEqual([again.status, again.body.seq], [200, made.body.seq], 'nothing new to sign: the newest is returned');

  const list = await h.call('GET', '/v1/audit/checkpoints', auditor);
  assert.equal(list.status, 200);
  assert.equal(list.body.items.length, 1);
  exported = list.body.items[0];
  const entries = (await h.call('GET', '/v1/audit?limit=1000', auditor)).body.items;
  assert.equal(exported.seq, entries.length);
  assert.equal(exported.hash, entries.at(-1).hash);
  // Offline, with any JOSE library: the signature holds and the payload is the head.
  const { payload } = await compactVerify(exported.jws, await importJWK(list.body.publicJwk, 'EdDSA'));
  assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), { at: list.body.items[0].at, hash: exported.hash, kid: list.body.publicJwk.kid, seq: exported.seq, v: 1 });
  // Nothing of the key's private half in what is exported.
  assert.equal(list.body.publicJwk.d, undefined);

  const clean = await verify(exported.jws);
  assert.equal(clean.ok, true, JSON.stringify(clean));
  assert.deepEqual(clean.checkpoint, { seq: exported.seq, at: list.body.items[0].at, matches: true });
  assert.deepEqual(clean.missing, []);

  for (const p of [WORKER, ADMIN]) {
    const r = await h.call('GET', '/v1/audit/checkpoints', await h.token(p));
    assert.deepEqual([r.status, r.body.code], [403, 'role_forbidden']);
  }
});

test('a checkpoint not signed by the service’s audit key is refused', async () => {
  const forged = await signCheckpoint(await generateSigningKey('audit'), { seq: exported.seq, hash: exported.hash }, new Date());
  const [head, , sig] = exported.jws.split('.');
  const otherPayload = Buffer.from(JSON.stringify({ v: 1, seq: 1, hash: '0'.repeat(64), at: new Date().toISOString(), kid: h.ctx.auditKey.kid })).toString('base64url');
  for (const jws of [forged.jws, `${head}.${otherPayload}.${sig}`]) {
    const r = await h.call('GET', `/v1/audit/verify?checkpoint=${jws}`, auditor);
    assert.deepEqual([r.status, r.body.code], [400, 'checkpoint_invalid']);
  }
  const garbage = await h.call('GET', '/v1/audit/verify?checkpoint=not-a-jws', auditor);
  assert.deepEqual([garbage.status, garbage.body.code], [400, 'invalid_request']);
});

test('a stored checkpoint that claims the audit key but is not its signature fails; one of another key is only listed', async () => {
  const other = await signCheckpoint(await generateSigningKey('audit'), { seq: 1, hash: '0'.repeat(64) }, new Date());
  await h.ctx.db.query('INSERT INTO audit_checkpoints (seq, hash, at, kid, jws) VALUES ($1, $2, $3, $4, $5)', [1, other.hash, other.at, other.kid, other.jws]);
  const listed = await verify(exported.jws);
  assert.equal(listed.ok, true, JSON.stringify(listed));
  assert.deepEqual(listed.storedCheckpoints.otherKeySeqs, [1]);
  await asDba('DELETE FROM audit_checkpoints WHERE seq = 1;');
  await h.ctx.db.query('INSERT INTO audit_checkpoints (seq, hash, at, kid, jws) VALUES ($1, $2, $3, $4, $5)', [1, other.hash, other.at, h.ctx.auditKey.kid, other.jws]);
  const forged = await verify(exported.jws);
  assert.deepEqual([forged.ok, forged.reason, forged.storedCheckpoints.invalidSeqs], [false, 'stored_checkpoint_invalid', [1]]);
  await asDba('DELETE FROM audit_checkpoints WHERE seq = 1;');
  assert.equal((await verify(exported.jws)).ok, true);
});

test('a verification or a ration written without its audit entry is named', async () => {
  const b = (await h.ctx.db.query<{ id: string }>('SELECT id FROM beneficiaries WHERE id <> $1 ORDER BY created_at LIMIT 1', [changed])).rows[0]!.id;
  const { rows } = await h.ctx.db.query<{ id: string }>(
    `INSERT INTO verifications (beneficiary_id, scheme, worker, awc, district, state, model_id, outcome, quality, liveness)
     VALUES ($1, 'THR', 'worker-1', 'AWC-001', 'D1', 'S1', 'm', 'match', 0.9, 0.9) RETURNING id`,
    [b],
  );
  const d = await h.ctx.db.query<{ id: string }>(
    `INSERT INTO distributions (beneficiary_id, scheme, month, method, verification_id, worker, awc, district, state)
     VALUES ($1, 'THR', '2020-01-01', 'face', $2, 'worker-1', 'AWC-001', 'D1', 'S1') RETURNING id`,
    [b, rows[0]!.id],
  );
  const report = await verify(exported.jws);
  assert.equal(report.ok, false);
  assert.equal(report.reason, 'missing_audit_entries');
  assert.deepEqual(report.missing, [
    { record: 'verification', table: 'verifications', count: 1, sample: [rows[0]!.id] },
    { record: 'ration delivered by face', table: 'distributions', count: 1, sample: [d.rows[0]!.id] },
  ]);
  await h.ctx.db.query('DELETE FROM distributions WHERE id = $1', [d.rows[0]!.id]);
  await h.ctx.db.query('DELETE FROM verifications WHERE id = $1', [rows[0]!.id]);
  assert.equal((await verify(exported.jws)).ok, true);
});

test('a guardian link, a duplicate decision and what a merge changed, written without their audit entries, are named', async () => {
  // Two of the verified beneficiaries (each has a ration), not the one whose changes were made above.
  const [a, b] = (await h.ctx.db.query<{ id: string }>('SELECT id FROM beneficiaries WHERE id <> $1 ORDER BY id LIMIT 2', [changed])).rows.map((r) => r.id) as [string, string];
  const ration = (await h.ctx.db.query<{ id: string }>('SELECT id FROM distributions WHERE beneficiary_id = $1', [a])).rows[0]!.id;
  // As someone with a database login: a link (then ended), a flag decided "different people" with
  // its pair remembered, a record closed into another with a ration moved to it, a fraud flag.
  await h.ctx.db.query("INSERT INTO guardianships (child_id, guardian_id, relation, since, created_by, ended_at) VALUES ($1, $2, 'mother', '2026-01-01', 'dba', now())", [a, b]);
  const flag = (await h.ctx.db.query<{ id: string }>(
    `INSERT INTO duplicate_flags (beneficiary_id, candidate_beneficiary_id, model_id, score, state, district, created_by, status, decision, decided_by, decided_at, decision_note)
     VALUES ($1, $2, 'm', 0.9, 'S1', 'D1', 'dba', 'resolved', 'different_people', 'dba', now(), 'x') RETURNING id`,
    [b, a],
  )).rows[0]!.id;
  await h.ctx.db.query("INSERT INTO distinct_people (a, b, flag_id, decided_by) VALUES ($1, $2, $3, 'dba')", [a, b, flag]);
  await h.ctx.db.query('UPDATE beneficiaries SET closed_at = now(), merged_into = $2, fraud_flagged_at = now() WHERE id = $1', [b, a]);
  await h.ctx.db.query('UPDATE distributions SET merged_from = $2 WHERE id = $1', [ration, b]);

  const report = await verify(exported.jws);
  assert.deepEqual([report.ok, report.reason], [false, 'missing_audit_entries']);
  assert.deepEqual(report.missing, [
    { record: 'duplicate enrolment flagged', table: 'duplicate_flags', count: 1, sample: [flag] },
    { record: 'guardian linked', table: 'guardianships', count: 1, sample: [`${a}/${b}`] },
    { record: 'guardian link ended', table: 'guardianships', count: 1, sample: [`${a}/${b}`] },
    { record: 'duplicate decided: different people', table: 'duplicate_flags', count: 1, sample: [flag] },
    { record: 'pair remembered as different people', table: 'distinct_people', count: 1, sample: [`${a}/${b}`] },
    { record: 'record closed by a merge', table: 'beneficiaries', count: 1, sample: [b] },
    { record: 'ration moved by a merge', table: 'distributions', count: 1, sample: [ration] },
    { record: 'record flagged for fraud', table: 'beneficiaries', count: 1, sample: [b] },
  ]);
  await h.ctx.db.exec(`DELETE FROM distinct_people; DELETE FROM duplicate_flags; DELETE FROM guardianships;
    UPDATE beneficiaries SET closed_at = NULL, merged_into = NULL, fraud_flagged_at = NULL; UPDATE distributions SET merged_from = NULL;`);
  assert.equal((await verify(exported.jws)).ok, true);
});

test('accounts, change requests and category changes made through the service all have their entries', async () => {
  const statuses = (await h.ctx.db.query<{ status: string; approval: string | null }>('SELECT status, approval FROM change_requests WHERE beneficiary_id = $1 ORDER BY requested_at, id', [changed])).rows;
  assert.deepEqual(statuses.map((r) => `${r.status}/${r.approval}`), ['applied/face_match', 'applied/supervisor', 'applied/face_match', 'applied/supervisor', 'rejected/null', 'pending/null']);
  assert.equal((await h.ctx.db.query("SELECT 1 FROM users WHERE status = 'disabled' AND mpin_reset_at IS NOT NULL")).rows.length, 1);
  // The harness' own accounts are audited as it makes them, as the CLI's are.
  const report = await verify(exported.jws);
  assert.deepEqual([report.ok, report.missing], [true, []], JSON.stringify(report.missing));
});

test('accounts, change requests and a category change written without their audit entries are named', async () => {
  const b = (await h.ctx.db.query<{ id: string }>('SELECT id FROM beneficiaries WHERE id <> $1 ORDER BY id LIMIT 1', [changed])).rows[0]!.id;
  // As someone with a database login: an account made, MPIN reset and disabled behind the service…
  const user = (await h.ctx.db.query<{ id: string }>(
    `INSERT INTO users (role, mobile, name, state, district, awc, mpin_hash, must_change_mpin, created_by, status, disabled_at, disabled_by, mpin_reset_at, mpin_reset_by)
     VALUES ('worker', '9600000099', 'Ghost', 'S1', 'D1', 'AWC-001', 'x', true, 'dba', 'disabled', now(), 'dba', now(), 'dba') RETURNING id`,
  )).rows[0]!.id;
  // …change requests in every state a request can reach, and a category change.
  const request = async (cols: string, values: string) =>
    (await h.ctx.db.query<{ id: string }>(
      `INSERT INTO change_requests (beneficiary_id, requested_by, requested_at, awc, district, state, ${cols}) VALUES ($1, 'dba', now(), 'AWC-001', 'D1', 'S1', ${values}) RETURNING id`,
      [b],
    )).rows[0]!.id;
  const pending = await request('kind, new_mobile', "'mobile_change', '+919811100009'");
  const byFace = await request('kind, new_mobile, status, approval, applied_at', "'mobile_change', '+919811100008', 'applied', 'face_match', now()");
  const rejected = await request('kind, new_mobile, status, decided_by, decided_at', "'mobile_change', '+919811100007', 'rejected', 'sup', now()");
  const approvedThenApplied = await request('kind, status, approval, decided_by, decided_at, applied_at', "'re_enrolment', 'applied', 'supervisor', 'sup', now() - interval '1 hour', now()");
  await h.ctx.db.query("UPDATE beneficiaries SET category = 'lactating' WHERE id = $1", [b]);

  const report = await verify(exported.jws);
  assert.deepEqual([report.ok, report.reason], [false, 'missing_audit_entries']);
  assert.deepEqual(report.missing, [
    { record: 'user created', table: 'users', count: 1, sample: [user] },
    { record: 'user disabled', table: 'users', count: 1, sample: [user] },
    { record: 'MPIN reset', table: 'users', count: 1, sample: [user] },
    { record: 'change requested', table: 'change_requests', count: 3, sample: [pending, rejected, approvedThenApplied].sort() },
    { record: 'change approved by a supervisor', table: 'change_requests', count: 1, sample: [approvedThenApplied] },
    { record: 'change rejected by a supervisor', table: 'change_requests', count: 1, sample: [rejected] },
    { record: 'change applied by the beneficiary’s face', table: 'change_requests', count: 1, sample: [byFace] },
    { record: 'approved change applied', table: 'change_requests', count: 1, sample: [approvedThenApplied] },
    { record: 'category changed', table: 'beneficiaries', count: 1, sample: [b] },
  ]);
  await h.ctx.db.query("UPDATE beneficiaries SET category = 'pregnant' WHERE id = $1", [b]);
  await h.ctx.db.query('DELETE FROM change_requests WHERE id = ANY($1)', [[pending, byFace, rejected, approvedThenApplied]]);
  await h.ctx.db.query('DELETE FROM users WHERE id = $1', [user]);
  assert.equal((await verify(exported.jws)).ok, true);
});

test('deleting an entry and re-hashing the rest is caught by the auditor’s checkpoint, even with the stored checkpoints removed', async () => {
  // Remove the identification, clear every link and the head, and let the sealer build a fresh, self-consistent chain.
  await asDba(`DELETE FROM audit_log WHERE action = 'identification.searched';
    UPDATE audit_log SET seq = NULL, prev_hash = NULL, hash = NULL;
    UPDATE audit_head SET seq = 0, hash = repeat('0', 64);`);
  await sealAuditLog(h.ctx.db);
  const stored = await verify();
  assert.equal(stored.ok, false, 'the service’s own copy of the checkpoint no longer lies on the chain');
  assert.equal(stored.reason, 'stored_checkpoint_invalid');

  await asDba('DELETE FROM audit_checkpoints;');
  const withoutAuditor = await verify();
  assert.equal(withoutAuditor.ok, true, 'without a checkpoint kept elsewhere, a consistent rewrite cannot be told apart');
  const report = await verify(exported.jws);
  assert.equal(report.ok, false);
  assert.equal(report.reason, 'checkpoint_beyond_chain');
  assert.equal(report.checkpoint.matches, false);
});

test('TRUNCATE with the head reset is caught by the checkpoint and by the business rows left without entries', async () => {
  await asDba(`TRUNCATE audit_log, audit_checkpoints; UPDATE audit_head SET seq = 0, hash = repeat('0', 64);`);
  const plain = await verify();
  assert.equal(plain.ok, false);
  assert.equal(plain.reason, 'missing_audit_entries');
  const records = plain.missing.map((m: { record: string }) => m.record);
  for (const r of ['beneficiary registered', 'consent granted', 'template enrolled', 'verification', 'ration delivered by face']) assert.ok(records.includes(r), r);

  // Refill the log with as many entries as before (forged), so the chain is as long as the checkpoint says.
  await asDba(`INSERT INTO audit_log (at, actor, role, action, subject_type, subject_id, district, details)
    SELECT now(), 'dba', 'worker', 'note', 'none', g::text, NULL, '{}' FROM generate_series(1, ${exported.seq + 3}) g;`);
  const report = await verify(exported.jws);
  assert.equal(report.ok, false);
  assert.equal(report.reason, 'checkpoint_mismatch');
  assert.equal(report.firstBrokenSeq, exported.seq);
});
