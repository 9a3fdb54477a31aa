import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { toBase64 } from '@chehra/sdk/envelope';
import { ADMIN, AUDITOR, CONSENT, createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

// The whole life of one beneficiary through the API, then a scan of everything the service said.
let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

test('register → consent → enrol → verify genuine → impostor → withdraw → refused, and no biometric data leaks', async () => {
  const token = await h.token(WORKER);
  const asha = syntheticFace(1, h.dim);
  const ashaAgain = syntheticFace(1, h.dim, 0.35, 1);
  const impostor = syntheticFace(2, h.dim);
  const probes: Float32Array[] = [asha, ashaAgain, impostor];

  const reg = await h.call('POST', '/v1/beneficiaries', token, { category: 'lactating', name: 'Asha Devi', mobile: '+919812345678' });
  assert.equal(reg.status, 201);
  assert.equal(reg.body.awc, WORKER.awc, 'the AWC comes from the token, not the body');
  assert.equal(reg.body.mobileMasked, '******5678');
  const id = reg.body.id;

  const enrolWithoutConsent = await h.call('POST', `/v1/beneficiaries/${id}/templates`, token, { envelope: h.seal(asha, WORKER.sub) });
  assert.equal(enrolWithoutConsent.status, 409);
  assert.equal(enrolWithoutConsent.body.code, 'consent_required');
  assert.deepEqual(enrolWithoutConsent.body.fallback.options, ['otp', 'supervisor_attestation']);

  const consent = await h.call('POST', `/v1/beneficiaries/${id}/consents`, token, CONSENT);
  assert.equal(consent.status, 201);
  assert.equal(consent.body.active, true);
  assert.equal(consent.body.recordedBy, WORKER.sub);

  const enrol = await h.call('POST', `/v1/beneficiaries/${id}/templates`, token, { envelope: h.seal(asha, WORKER.sub) });
  assert.equal(enrol.status, 201);
  assert.equal(enrol.body.modelId, h.modelId);

  const genuine = await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(ashaAgain, WORKER.sub) });
  assert.equal(genuine.status, 200);
  assert.equal(genuine.body.match, true);
  // The score stays in the database: the worker learns the decision only.
  assert.equal('score' in genuine.body || 'threshold' in genuine.body, false);
  const stored = await h.ctx.db.query<{ score: number; threshold: number }>('SELECT score, threshold FROM verifications WHERE id = $1', [genuine.body.verificationId]);
  assert.ok(stored.rows[0]!.score >= stored.rows[0]!.threshold && stored.rows[0]!.score < 1);
  assert.ok(genuine.body.verificationId && genuine.body.distributionId);
  const dist = await h.ctx.db.query<{ verification_id: string; method: string }>('SELECT verification_id, method FROM distributions WHERE beneficiary_id = $1', [id]);
  assert.deepEqual(dist.rows, [{ verification_id: genuine.body.verificationId, method: 'face' }]);

  // An impostor on a second beneficiary: no match, no ration, fallback offered.
  const other = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'Meena Kumari', mobile: '+919800000001' });
  await h.call('POST', `/v1/beneficiaries/${other.body.id}/consents`, token, CONSENT);
  const otherFace = syntheticFace(3, h.dim);
  probes.push(otherFace);
  assert.equal((await h.call('POST', `/v1/beneficiaries/${other.body.id}/templates`, token, { envelope: h.seal(otherFace, WORKER.sub) })).status, 201);
  const imp = await h.call('POST', '/v1/verifications', token, { beneficiaryId: other.body.id, envelope: h.seal(impostor, WORKER.sub) });
  assert.equal(imp.status, 200);
  assert.equal(imp.body.match, false);
  assert.equal(imp.body.outcome, 'no_match');
  assert.equal(imp.body.distributionId, null);
  assert.equal(imp.body.fallback.reason, 'no_match');
  const none = await h.ctx.db.query('SELECT 1 FROM distributions WHERE beneficiary_id = $1', [other.body.id]);
  assert.equal(none.rows.length, 0);

  // A second visit in the month is refused.
  const again = await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(ashaAgain, WORKER.sub) });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'already_distributed');

  const withdraw = await h.call('POST', `/v1/beneficiaries/${other.body.id}/consents/withdraw`, token, { reason: 'beneficiary asked' });
  assert.equal(withdraw.status, 200);
  assert.equal(withdraw.body.templatesDeleted, 1);
  const left = await h.ctx.db.query('SELECT 1 FROM templates WHERE beneficiary_id = $1', [other.body.id]);
  assert.equal(left.rows.length, 0, 'withdrawal deletes the templates');
  const refused = await h.call('POST', '/v1/verifications', token, { beneficiaryId: other.body.id, envelope: h.seal(otherFace, WORKER.sub) });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.code, 'consent_required');
  assert.equal(refused.body.fallback.reason, 'no_consent');
  assert.equal(refused.body.match, false);

  const view = await h.call('GET', `/v1/beneficiaries/${other.body.id}`, await h.token(ADMIN));
  assert.equal(view.status, 200);
  assert.equal(view.body.consentActive, false);
  assert.deepEqual(view.body.templates, []);

  const chain = await h.call('GET', '/v1/audit/verify', await h.token(AUDITOR));
  assert.equal(chain.body.ok, true);
  assert.ok(chain.body.entries >= 10);
  const audit = await h.call('GET', '/v1/audit?limit=1000', await h.token(AUDITOR));
  const actions = audit.body.items.map((e: { action: string }) => e.action);
  for (const a of ['beneficiary.registered', 'consent.granted', 'template.enrolled', 'verification.attempted', 'consent.withdrawn']) assert.ok(actions.includes(a), a);

  // Privacy: no embedding value, no embedding bytes, no envelope ciphertext or mobile number in any log line or response.
  const everything = [...h.logs, ...h.responses].join('\n');
  assert.ok(h.logs.length > 20, 'the logs were captured');
  for (const v of probes) {
    for (const x of v.slice(0, 32)) {
      assert.ok(!everything.includes(String(x)), 'an embedding value appears in a log or response');
      assert.ok(!everything.includes(x.toFixed(6).replace(/0+$/, '')), 'a rounded embedding value appears in a log or response');
    }
    const bytes = new Uint8Array(v.buffer.slice(0, 48));
    assert.ok(!everything.includes(toBase64(bytes).slice(0, 40)), 'embedding bytes appear in a log or response');
  }
  assert.ok(!/(?<![0-9])(?:\+?91)?9812345678(?![0-9])/.test(everything), 'the mobile number appears in a log or response');
  assert.ok(!/"ct":"/.test(everything), 'an envelope appears in a log or response');
});

test("the day's list marks who has this month's ration; next month starts unmarked", async () => {
  const token = await h.token(WORKER);
  const given = await enrolledBeneficiary(h, syntheticFace(61, h.dim));
  const waiting = await enrolledBeneficiary(h, syntheticFace(62, h.dim));
  const v = await h.call('POST', '/v1/verifications', token, { beneficiaryId: given.id, envelope: h.seal(syntheticFace(61, h.dim, 0.3, 1), WORKER.sub) });
  assert.equal(v.body.match, true);
  const marks = async (t = token) => {
    const list = await h.call('GET', '/v1/beneficiaries?limit=500', t);
    assert.equal(list.status, 200);
    const byId = new Map(list.body.items.map((b: { id: string; rationGivenThisMonth: boolean }) => [b.id, b.rationGivenThisMonth]));
    return [byId.get(given.id), byId.get(waiting.id)];
  };
  assert.deepEqual(await marks(), [true, false]);
  const nextMonth = new Date();
  nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1, 15);
  h.setNow(nextMonth);
  try {
    assert.deepEqual(await marks(await h.token(WORKER)), [false, false]);
  } finally {
    h.setNow(undefined);
  }
});
