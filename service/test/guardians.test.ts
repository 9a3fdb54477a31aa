import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSENT, createHarness, OTHER_AWC_WORKER, rowCounts, syntheticFace, WORKER, type Harness } from './harness.js';

// Children verified through their guardian: the flow of a mother collecting for two children,
// then every way it must be refused, each a 4xx with a code and nothing written.
let h: Harness;
let token: string;
const NOW = new Date('2026-11-10T06:00:00Z');
const GUARDIAN_CONSENT = { ...CONSENT, givenBy: 'guardian' } as const;

before(async () => {
  h = await createHarness();
  h.setNow(NOW);
  token = await h.token(WORKER);
});
after(() => h.close());

const yearsAgo = (years: number, months = 0) => {
  const d = new Date(NOW);
  d.setUTCFullYear(d.getUTCFullYear() - years, d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
};

async function register(body: object, t = token) {
  const r = await h.call('POST', '/v1/beneficiaries', t, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

async function adult(name: string, face: Float32Array, opts: { consent?: boolean; enrol?: boolean; category?: string; worker?: typeof WORKER } = {}) {
  const w = opts.worker ?? WORKER;
  const t = await h.token(w);
  const id = await register({ category: opts.category ?? 'lactating', name, mobile: '+919812340000' }, t);
  if (opts.consent !== false) assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents`, t, CONSENT)).status, 201);
  if (opts.consent !== false && opts.enrol !== false) {
    // Two captures of the same person: the template is their normalised mean.
    const e = await h.call('POST', `/v1/beneficiaries/${id}/templates`, t, { envelopes: [h.seal(face, w.sub), h.seal(face, w.sub)] });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    assert.equal(e.body.captures, 2);
  }
  return id;
}

async function child(name: string, birthDate: string, category: 'child_6m_3y' | 'child_3_6y', consent = true) {
  const id = await register({ category, name, birthDate, guardian: { name: 'Sunita', relation: 'mother' } });
  if (consent) assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents`, token, GUARDIAN_CONSENT)).status, 201);
  return id;
}

const link = (childId: string, guardianId: string, relation = 'mother') => h.call('POST', `/v1/beneficiaries/${childId}/guardians`, token, { guardianId, relation });
/** A further guardian for a child who has one: the existing guardian's face approves it (second-person.test.ts has the rest). */
const linkFurther = (childId: string, guardianId: string, existingGuardianId: string, existingFace: Float32Array, relation = 'mother') =>
  h.call('POST', `/v1/beneficiaries/${childId}/guardians`, token, { guardianId, relation, existingGuardianId, envelope: h.seal(existingFace, WORKER.sub) });
const visit = (guardianId: string, childIds: string[], face: Float32Array) => h.call('POST', '/v1/guardian-visits', token, { guardianId, childIds, envelope: h.seal(face, WORKER.sub) });

async function unchanged<T>(what: () => Promise<T>): Promise<T> {
  const before = await rowCounts(h.ctx.db);
  const result = await what();
  assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing may be written');
  return result;
}

test('a mother collects for two children with one capture: one verification and one distribution per child, one transaction, no score', async () => {
  const face = syntheticFace(101, h.dim);
  const mother = await adult('Sunita Devi', face);
  const baby = await child('Isha', yearsAgo(1, 6), 'child_6m_3y');
  const toddler = await child('Aarav', yearsAgo(4), 'child_3_6y');
  for (const c of [baby, toddler]) assert.equal((await link(c, mother)).status, 201);
  const guardians = await h.call('GET', `/v1/beneficiaries/${baby}/guardians`, token);
  assert.deepEqual(guardians.body.items.map((g: { guardianId: string; relation: string }) => [g.guardianId, g.relation]), [[mother, 'mother']]);

  const r = await visit(mother, [baby, toddler], syntheticFace(101, h.dim, 0.3, 7));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.match, true);
  assert.equal(r.body.children.length, 2);
  assert.ok(r.body.children.every((c: { outcome: string; distributionId: string | null }) => c.outcome === 'match' && c.distributionId));
  assert.ok(!('score' in r.body) && !JSON.stringify(r.body).includes('score'), 'the worker never sees a score');

  const rows = await h.ctx.db.query<{ beneficiary_id: string; face_of: string; visit_id: string }>('SELECT beneficiary_id, face_of, visit_id FROM verifications WHERE visit_id = $1 ORDER BY beneficiary_id', [r.body.visitId]);
  assert.deepEqual(rows.rows.map((x) => x.beneficiary_id).sort(), [baby, toddler].sort());
  assert.ok(rows.rows.every((x) => x.face_of === mother), 'each row says whose face was verified');
  const dist = await h.ctx.db.query('SELECT 1 FROM distributions WHERE beneficiary_id = ANY($1::uuid[])', [[baby, toddler]]);
  assert.equal(dist.rows.length, 2);
  const audit = await h.ctx.db.query<{ subject_id: string; details: { faceOf: string; visitId: string } }>("SELECT subject_id, details FROM audit_log WHERE action = 'verification.attempted' AND details ->> 'visitId' = $1", [r.body.visitId]);
  assert.deepEqual(audit.rows.map((a) => a.subject_id).sort(), [baby, toddler].sort(), 'one audit entry per child');
  assert.ok(audit.rows.every((a) => a.details.faceOf === mother));

  // The mother's own THR is hers, by her own face, untouched by the children's visit.
  const own = await h.call('POST', '/v1/verifications', token, { beneficiaryId: mother, envelope: h.seal(syntheticFace(101, h.dim, 0.3, 8), WORKER.sub) });
  assert.equal(own.status, 200);
  assert.equal(own.body.match, true);

  // Another capture of someone else: no match for both children, a fallback offered for each.
  const other = await child('Veer', yearsAgo(2), 'child_6m_3y');
  assert.equal((await link(other, mother)).status, 201);
  const miss = await visit(mother, [other], syntheticFace(102, h.dim));
  assert.equal(miss.status, 200);
  assert.equal(miss.body.match, false);
  assert.equal(miss.body.children[0].fallback.reason, 'no_match');
});

test("a child under three cannot be enrolled or verified by her own face: the code names the guardian path", async () => {
  const baby = await child('Meera', yearsAgo(0, 9), 'child_6m_3y');
  const enrol = await unchanged(() => h.call('POST', `/v1/beneficiaries/${baby}/templates`, token, { envelope: h.seal(syntheticFace(201, h.dim), WORKER.sub) }));
  assert.equal(enrol.status, 409);
  assert.equal(enrol.body.code, 'child_enrols_through_guardian');
  assert.match(enrol.body.message, /guardian-visits/);
  // Registered as 3–6 but born under three years ago: the birth date decides.
  const young = await child('Kiran', yearsAgo(2, 10), 'child_3_6y');
  assert.equal((await unchanged(() => h.call('POST', `/v1/beneficiaries/${young}/templates`, token, { envelope: h.seal(syntheticFace(202, h.dim), WORKER.sub) }))).body.code, 'child_enrols_through_guardian');
  const verify = await unchanged(() => h.call('POST', '/v1/verifications', token, { beneficiaryId: baby, envelope: h.seal(syntheticFace(201, h.dim), WORKER.sub) }));
  assert.equal(verify.status, 409);
  assert.equal(verify.body.code, 'guardian_visit_required');
});

test('refused, nothing written: a guardian without consent, an unlinked guardian, a guardian of another AWC, a second collection through another guardian', async () => {
  const face = syntheticFace(301, h.dim);
  const noConsent = await adult('Radha', face, { consent: false });
  const baby = await child('Anu', yearsAgo(1), 'child_6m_3y');
  assert.equal((await link(baby, noConsent)).status, 201);
  const r1 = await unchanged(() => visit(noConsent, [baby], face));
  assert.equal(r1.status, 409);
  assert.equal(r1.body.code, 'guardian_consent_required');
  assert.equal(r1.body.fallback.reason, 'no_consent');

  const stranger = await adult('Lata', syntheticFace(302, h.dim));
  const r2 = await unchanged(() => visit(stranger, [baby], syntheticFace(302, h.dim)));
  assert.equal(r2.status, 409);
  assert.equal(r2.body.code, 'not_guardian_of_child');
  assert.deepEqual(r2.body.childIds, [baby]);

  const elsewhere = await adult('Geeta', syntheticFace(303, h.dim), { worker: OTHER_AWC_WORKER });
  const r3 = await unchanged(() => link(baby, elsewhere));
  assert.equal(r3.status, 409);
  assert.equal(r3.body.code, 'guardian_other_awc');

  const alsoChild = await child('Sonu', yearsAgo(5), 'child_3_6y');
  const r4 = await unchanged(() => link(baby, alsoChild));
  assert.equal(r4.status, 400);
  assert.equal(r4.body.code, 'guardian_is_a_child');
  assert.equal((await unchanged(() => link(baby, noConsent))).body.code, 'guardian_already_linked');

  // Mother collects; then the father tries the same month for the same child.
  const motherFace = syntheticFace(304, h.dim);
  const fatherFace = syntheticFace(305, h.dim);
  const mother = await adult('Pooja', motherFace);
  const father = await adult('Ramesh', fatherFace, { category: 'guardian' });
  const twin = await child('Lucky', yearsAgo(2), 'child_6m_3y');
  assert.equal((await link(twin, mother)).status, 201);
  assert.equal((await linkFurther(twin, father, mother, motherFace, 'father')).status, 201);
  assert.equal((await visit(mother, [twin], motherFace)).status, 200);
  const r5 = await unchanged(() => visit(father, [twin], fatherFace));
  assert.equal(r5.status, 409);
  assert.equal(r5.body.code, 'already_distributed');
  assert.deepEqual(r5.body.childIds, [twin]);

  // A person registered only as a guardian has no THR of her own.
  const r6 = await unchanged(() => h.call('POST', '/v1/verifications', token, { beneficiaryId: father, envelope: h.seal(fatherFace, WORKER.sub) }));
  assert.equal(r6.body.code, 'not_a_thr_beneficiary');
});

test("a guardian visit stops at the children's daily face-attempt limit too, whoever's face is shown: refused unscored, the try recorded", async () => {
  const motherFace = syntheticFace(451, h.dim);
  const mother = await adult('Kamla', motherFace);
  const father = await adult('Mohan', syntheticFace(455, h.dim), { category: 'guardian' });
  const baby = await child('Tara', yearsAgo(1), 'child_6m_3y');
  assert.equal((await link(baby, mother)).status, 201);
  assert.equal((await linkFurther(baby, father, mother, motherFace, 'father')).status, 201);
  // Three failed visits for the baby, two by her mother's face and one by her father's: neither
  // parent is at her own limit, the baby is at hers.
  assert.equal(h.ctx.fallback.maxFaceAttempts, 3);
  for (const [g, seed] of [[mother, 452], [mother, 453], [father, 454]] as const) {
    const miss = await visit(g, [baby], syntheticFace(seed, h.dim));
    assert.equal(miss.status, 200, JSON.stringify(miss.body));
    assert.equal(miss.body.children[0].outcome, 'no_match');
  }
  const caseId = (await h.ctx.db.query<{ id: string }>('SELECT id FROM fallback_cases WHERE beneficiary_id = $1 AND completed_at IS NULL', [baby])).rows[0]?.id;
  assert.ok(caseId, 'her case opened when her last attempt failed');
  // Even the mother's own face is not scored now: the limit is the child's, whoever's face is shown.
  const before = await rowCounts(h.ctx.db);
  const r = await visit(mother, [baby], syntheticFace(451, h.dim, 0.3, 9));
  assert.deepEqual([r.status, r.body.code, r.body.outcome], [409, 'face_attempts_exhausted', 'face_attempts_exhausted']);
  assert.deepEqual(r.body.childIds, [baby]);
  assert.deepEqual(r.body.fallback.options.sort(), ['otp', 'supervisor_attestation'].sort());
  assert.equal(r.body.children[0].fallback.fallbackCaseId, caseId, 'the open case is named: OTP or attestation takes the ration home');
  // Recorded as a direct verification records a try after the lockout: one unscored row and its
  // audit entry, the envelope spent, a refused try on the baby's count; no ration, no second case.
  const after = await rowCounts(h.ctx.db);
  assert.deepEqual(after, { ...before, verifications: before.verifications! + 1, audit_log: before.audit_log! + 1, seen_nonces: before.seen_nonces! + 1 });
  const row = await h.ctx.db.query('SELECT outcome, score, face_of FROM verifications WHERE id = $1', [r.body.children[0].verificationId]);
  assert.deepEqual(row.rows, [{ outcome: 'face_attempts_exhausted', score: null, face_of: mother }]);
  const refused = await h.ctx.db.query<{ beneficiary_id: string; refused: number }>('SELECT beneficiary_id, refused FROM face_attempts WHERE beneficiary_id = ANY($1::uuid[]) AND refused > 0', [[baby, mother, father]]);
  assert.deepEqual(refused.rows.map((x) => [x.beneficiary_id, x.refused]), [[baby, 1]]);
});

test("a child of 3–6 uses her own fresh template; it expires after the interval or at her 5th birthday, then her guardian's face is used", async () => {
  const motherFace = syntheticFace(401, h.dim);
  const mother = await adult('Kavita', motherFace);
  // Four years and ten months old: her template ends at her 5th birthday, two months away, not in six.
  const aarav = await child('Aarav K', yearsAgo(4, 10), 'child_3_6y');
  assert.equal((await link(aarav, mother)).status, 201);
  const enrol = await h.call('POST', `/v1/beneficiaries/${aarav}/templates`, token, { envelope: h.seal(syntheticFace(402, h.dim), WORKER.sub) });
  assert.equal(enrol.status, 201);
  const fifth = new Date(yearsAgo(4, 10));
  fifth.setUTCFullYear(fifth.getUTCFullYear() + 5);
  assert.equal(enrol.body.expiresAt.slice(0, 10), new Date(fifth.getTime() - 330 * 60_000).toISOString().slice(0, 10));
  // Three years and one month: six months, the default interval.
  const ravi = await child('Ravi', yearsAgo(3, 1), 'child_3_6y');
  const e2 = await h.call('POST', `/v1/beneficiaries/${ravi}/templates`, token, { envelope: h.seal(syntheticFace(403, h.dim), WORKER.sub) });
  assert.equal(e2.body.expiresAt.slice(0, 10), '2027-05-10');

  const own = await unchanged(() => visit(mother, [aarav], motherFace));
  assert.equal(own.status, 409);
  assert.equal(own.body.code, 'child_verifies_own_face');

  // After the birthday the template is stale: the guardian's face collects.
  h.setNow(new Date(fifth.getTime() + 86_400_000));
  const saved = token;
  token = await h.token(WORKER);
  try {
    const r = await visit(mother, [aarav], motherFace);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.children[0].outcome, 'match');
  } finally {
    h.setNow(NOW);
    token = saved;
  }
});

test('pregnant → lactating keeps the person, her consent and her template', async () => {
  const face = syntheticFace(501, h.dim);
  const asha = await adult('Asha', face, { category: 'pregnant' });
  const changed = await h.call('POST', `/v1/beneficiaries/${asha}/category`, token, { category: 'lactating' });
  assert.equal(changed.status, 200);
  assert.equal(changed.body.id, asha);
  assert.equal(changed.body.category, 'lactating');
  const v = await h.call('POST', '/v1/verifications', token, { beneficiaryId: asha, envelope: h.seal(syntheticFace(501, h.dim, 0.3, 3), WORKER.sub) });
  assert.equal(v.body.match, true, 'the same template still verifies her');
  const back = await unchanged(() => h.call('POST', `/v1/beneficiaries/${asha}/category`, token, { category: 'child_3_6y' }));
  assert.equal(back.status, 409);
  assert.equal(back.body.code, 'category_transition_not_allowed');
});

test('enrolment captures must agree: a different person slipped in is refused, nothing written', async () => {
  const id = await adult('Nisha', syntheticFace(601, h.dim), { enrol: false });
  const r = await unchanged(() => h.call('POST', `/v1/beneficiaries/${id}/templates`, token, { envelopes: [h.seal(syntheticFace(601, h.dim), WORKER.sub), h.seal(syntheticFace(602, h.dim), WORKER.sub)] }));
  assert.equal(r.status, 422);
  assert.equal(r.body.code, 'captures_disagree');
  const four = await unchanged(() => h.call('POST', `/v1/beneficiaries/${id}/templates`, token, { envelopes: [1, 2, 3, 4].map(() => h.seal(syntheticFace(601, h.dim), WORKER.sub)) }));
  assert.equal(four.status, 400);
});
