import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CONSENT, createHarness, syntheticFace, WORKER, type Harness } from './harness.js';

// After a confident match an adult's template takes a bounded step toward the new capture:
// at most once per 30 days, only well above the threshold, never for a child, always audited.
let h: Harness;
const DAY = 86_400_000;
// The database stamps a template's creation with its own clock: the test's days count from now.
const T0 = new Date();
before(async () => {
  h = await createHarness();
});
after(() => h.close());

async function at(d: Date) {
  h.setNow(d);
  return h.token(WORKER);
}

const state = async (id: string) =>
  (await h.ctx.db.query<{ refresh_count: number; refreshed_at: Date | null }>('SELECT refresh_count, refreshed_at FROM templates WHERE beneficiary_id = $1', [id])).rows[0]!;
const similarity = async (id: string, v: Float32Array) =>
  Number((await h.ctx.db.query<{ s: number }>('SELECT 1 - (embedding <=> $2) AS s FROM templates WHERE beneficiary_id = $1', [id, `[${Array.from(v).join(',')}]`])).rows[0]!.s);

async function enrolled(category: string, face: Float32Array, extra: object = {}) {
  const token = await at(T0);
  const r = await h.call('POST', '/v1/beneficiaries', token, { category, name: 'Asha', ...extra });
  await h.call('POST', `/v1/beneficiaries/${r.body.id}/consents`, token, category.startsWith('child') ? { ...CONSENT, givenBy: 'guardian' } : CONSENT);
  const e = await h.call('POST', `/v1/beneficiaries/${r.body.id}/templates`, token, { envelope: h.seal(face, WORKER.sub) });
  assert.equal(e.status, 201, JSON.stringify(e.body));
  return r.body.id as string;
}

const verify = async (id: string, probe: Float32Array, when: Date) => h.call('POST', '/v1/verifications', await at(when), { beneficiaryId: id, envelope: h.seal(probe, WORKER.sub) });

test('a confident match refreshes an adult template once per 30 days, toward the capture, audited', async () => {
  const id = await enrolled('lactating', syntheticFace(1, h.dim));
  const drifted = syntheticFace(1, h.dim, 0.2, 9);
  // The day after the enrolment: too soon.
  const first = await verify(id, drifted, new Date(T0.getTime() + DAY));
  assert.equal(first.body.match, true, JSON.stringify(first.body));
  assert.equal((await state(id)).refresh_count, 0);

  const before = await similarity(id, drifted);
  const month2 = new Date(T0.getTime() + 35 * DAY);
  assert.equal((await verify(id, drifted, month2)).body.match, true);
  const s = await state(id);
  assert.equal(s.refresh_count, 1);
  assert.equal(s.refreshed_at!.toISOString(), month2.toISOString());
  const afterRefresh = await similarity(id, drifted);
  assert.ok(afterRefresh > before, `the template moved toward the capture (${before} → ${afterRefresh})`);
  assert.ok(afterRefresh < 0.999, 'a step, not a replacement');
  const audit = await h.ctx.db.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_log WHERE action = 'template.refreshed' AND subject_id = $1", [id]);
  assert.equal(audit.rows.length, 1);
  assert.deepEqual(Object.keys(audit.rows[0]!.details).sort(), ['refreshCount', 'templateId'], 'no embedding, no score in the audit');

  // A month later, the next ration: one more step (24 at most, then a re-enrolment is due).
  const month3 = await verify(id, drifted, new Date(T0.getTime() + 70 * DAY));
  assert.equal(month3.body.match, true, JSON.stringify(month3.body));
  assert.equal((await state(id)).refresh_count, 2);
  assert.ok((await similarity(id, drifted)) > afterRefresh);
});

test('no refresh from a match near the threshold, nor for a child', async () => {
  const id = await enrolled('pregnant', syntheticFace(2, h.dim));
  // A noisy capture: a match, but not a confident one.
  const noisy = syntheticFace(2, h.dim, 1.25, 4);
  const r = await verify(id, noisy, new Date(T0.getTime() + 40 * DAY));
  assert.equal(r.body.match, true);
  // The worker never sees a score; the service keeps it on the verification row.
  const { score } = (await h.ctx.db.query<{ score: number }>('SELECT score FROM verifications WHERE id = $1', [r.body.verificationId])).rows[0]!;
  assert.ok(score < h.threshold + 0.25, `score ${score}`);
  assert.equal((await state(id)).refresh_count, 0);

  const child = await enrolled('child_3_6y', syntheticFace(3, h.dim), { birthDate: '2021-06-01', guardian: { name: 'Sita', relation: 'mother' } });
  assert.equal((await verify(child, syntheticFace(3, h.dim, 0.1, 1), new Date(T0.getTime() + 40 * DAY))).body.match, true);
  assert.equal((await state(child)).refresh_count, 0);
});
