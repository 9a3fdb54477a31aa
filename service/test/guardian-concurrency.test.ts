import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scaledRateLimits } from '../src/rate-limit.js';
import { CONSENT, createHarness, syntheticFace, WORKER, type Harness } from './harness.js';

// Guardian visits raced against each other: whatever the interleaving, a child gets one ration a
// month, every losing visit is a clean 409 that wrote nothing, and no visit fails with a 500 (two
// visits that name the same children in another order must not deadlock on a server).
let h: Harness;
let token: string;
const NOW = new Date('2026-11-10T06:00:00Z');

before(async () => {
  // Many visits from one worker at once is a database race, not a worker's pace.
  h = await createHarness({ rateLimits: scaledRateLimits(10) });
  h.setNow(NOW);
  token = await h.token(WORKER);
});
after(() => h.close());

/** Each adult's face, so the first guardian can approve a further one (a second person, guardian-link.ts). */
const faces = new Map<string, Float32Array>();

async function adult(name: string, face: Float32Array) {
  const id = (await h.call('POST', '/v1/beneficiaries', token, { category: 'lactating', name, mobile: '+919812340000' })).body.id as string;
  assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents`, token, CONSENT)).status, 201);
  assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/templates`, token, { envelopes: [h.seal(face, WORKER.sub), h.seal(face, WORKER.sub)] })).status, 201);
  faces.set(id, face);
  return id;
}

async function baby(name: string, guardians: string[]) {
  const id = (await h.call('POST', '/v1/beneficiaries', token, { category: 'child_6m_3y', name, birthDate: '2025-06-01', guardian: { name: 'Sunita', relation: 'mother' } })).body.id as string;
  assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents`, token, { ...CONSENT, givenBy: 'guardian' })).status, 201);
  const [first, ...further] = guardians;
  if (first) assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/guardians`, token, { guardianId: first, relation: 'mother' })).status, 201);
  for (const g of further) {
    const r = await h.call('POST', `/v1/beneficiaries/${id}/guardians`, token, { guardianId: g, relation: 'aunt', existingGuardianId: first, envelope: h.seal(faces.get(first!)!, WORKER.sub) });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  return id;
}

const visit = (guardianId: string, childIds: string[], seed: number, capture: number) =>
  h.call('POST', '/v1/guardian-visits', token, { guardianId, childIds, envelope: h.seal(syntheticFace(seed, h.dim, 0.3, capture), WORKER.sub) });

async function count(sql: string, params: unknown[]): Promise<number> {
  return Number((await h.ctx.db.query<{ n: string }>(sql, params)).rows[0]!.n);
}

/** Every visit either delivered for all its children or was refused as already distributed, nothing else. */
function settle(results: Array<{ status: number; body: any }>) {
  const delivered = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status === 409 && r.body.code === 'already_distributed');
  assert.equal(delivered.length + refused.length, results.length, JSON.stringify(results.filter((r) => !delivered.includes(r) && !refused.includes(r)).map((r) => [r.status, r.body.code])));
  for (const r of delivered) assert.ok(r.body.children.every((c: { distributionId: string | null }) => c.distributionId), 'a delivered visit delivered for every child');
  return { delivered, refused };
}

async function assertOneRationEach(children: string[]) {
  for (const c of children) {
    assert.equal(await count('SELECT count(*) AS n FROM distributions WHERE beneficiary_id = $1', [c]), 1, 'one ration a month');
    // Losing visits wrote nothing: one verification row and one audit entry per child, the winner's.
    assert.equal(await count('SELECT count(*) AS n FROM verifications WHERE beneficiary_id = $1', [c]), 1);
    assert.equal(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'verification.attempted' AND subject_id = $1", [c]), 1);
  }
}

test('one child, her mother and her father collecting at once, several times each: one ration', async () => {
  const mother = await adult('Pooja', syntheticFace(701, h.dim));
  const father = await adult('Ramesh', syntheticFace(702, h.dim));
  const child = await baby('Lucky', [mother, father]);
  const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? visit(father, [child], 702, i) : visit(mother, [child], 701, i))));
  const { delivered } = settle(results);
  assert.equal(delivered.length, 1);
  await assertOneRationEach([child]);
});

test('the same guardian twice at once for the same children: one ration each', async () => {
  const mother = await adult('Sunita', syntheticFace(711, h.dim));
  const kids = [await baby('Isha', [mother]), await baby('Aarav', [mother])];
  const { delivered } = settle(await Promise.all(Array.from({ length: 8 }, (_, i) => visit(mother, kids, 711, i))));
  assert.equal(delivered.length, 1);
  await assertOneRationEach(kids);
});

test('two guardians naming the same two children in opposite orders: one ration each, no deadlock', async () => {
  const mother = await adult('Kavita', syntheticFace(721, h.dim));
  const aunt = await adult('Rekha', syntheticFace(722, h.dim));
  const kids = [await baby('Meera', [mother, aunt]), await baby('Veer', [mother, aunt])];
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? visit(aunt, [...kids].reverse(), 722, i) : visit(mother, kids, 721, i))));
  const { delivered } = settle(results);
  assert.equal(delivered.length, 1);
  await assertOneRationEach(kids);
});

test('several first guardians linked at once to a child with none: one is linked, the others wait for a second person', async () => {
  const adults: string[] = [];
  for (let i = 0; i < 6; i++) adults.push(await adult(`Sister ${i}`, syntheticFace(731 + i, h.dim)));
  const child = await baby('Chinu', []);
  const results = await Promise.all(adults.map((g) => h.call('POST', `/v1/beneficiaries/${child}/guardians`, token, { guardianId: g, relation: 'aunt' })));
  const answers = results.map((r) => `${r.status} ${r.body.code ?? 'linked'}`).sort();
  assert.deepEqual(answers, ['201 linked', ...Array(5).fill('409 guardian_link_needs_approval')], 'only one can be the child\'s first guardian without a second person');
  assert.equal(await count('SELECT count(*) AS n FROM guardianships WHERE child_id = $1', [child]), 1);
  assert.equal(await count("SELECT count(*) AS n FROM change_requests WHERE beneficiary_id = $1 AND status = 'pending'", [child]), 1, 'one open request: the latest ask');
});
