import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createHarness, syntheticFace, WORKER, type Harness } from '../../service/test/harness.js';
import { EnrolmentGuide } from '../src/enrolment-guide.js';
import { WorkerSession, type SealableCapture } from '../src/session.js';

// The SDK guides an enrolment of 2–3 agreeing captures, sends them as one enrolment, and lets a
// guardian collect for her children with one capture — against the real service on a real port.

let h: Harness;
let baseUrl: string;
let session: WorkerSession;
before(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  session = await WorkerSession.open({ baseUrl, token: await h.token(WORKER) });
});
after(async () => {
  session.logout();
  await h.close();
});

const capture = (seed: number, noise = 0, noiseSeed = 0): SealableCapture & { embedding: Float32Array } => ({
  ok: true,
  embedding: syntheticFace(seed, h.dim, noise, noiseSeed),
  modelId: h.modelId,
  quality: { score: 0.8 },
  liveness: { score: 0.97 },
});
const allZero = (a: Float32Array) => a.every((x) => x === 0);

test('the guide counts captures, refuses one that does not agree, and zeroes what it drops', () => {
  const guide = new EnrolmentGuide({ matchThreshold: h.threshold, captures: 3 });
  const first = capture(1, 0.2, 1);
  const s1 = guide.add(first);
  assert.deepEqual([s1.status, s1.have], ['more', 1]);
  assert.ok(allZero(first.embedding), "the caller's copy is zeroed");
  const stranger = guide.add(capture(2));
  assert.equal(stranger.status, 'disagree');
  assert.match(stranger.message.hi, /फ़ोटो/);
  assert.equal(guide.count, 1);
  assert.equal(guide.add(capture(1, 0.2, 2)).status, 'more');
  assert.equal(guide.add(capture(1, 0.2, 3)).status, 'ready');
  assert.throws(() => new EnrolmentGuide({ matchThreshold: h.threshold, captures: 4 }), RangeError);
  const taken = guide.take();
  assert.equal(taken.length, 3);
  assert.equal(guide.count, 0);
  for (const t of taken) t.embedding.fill(0);
  const cancelled = new EnrolmentGuide({ matchThreshold: h.threshold });
  cancelled.add(capture(5));
  cancelled.clear();
  assert.equal(cancelled.count, 0);
});

test('enrolCaptures sends the guided captures as one enrolment; guardianVisit collects for two children with one capture', async () => {
  const mother = await session.api.createBeneficiary({ category: 'lactating', name: 'Meena' });
  await session.api.recordConsent(mother.id, { purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1', language: 'hi', method: 'verbal' });
  const guide = new EnrolmentGuide({ matchThreshold: h.threshold });
  guide.add(capture(7, 0.2, 1));
  guide.add(capture(7, 0.2, 2));
  const captures = guide.take();
  const enrolled = await session.enrolCaptures(mother.id, captures);
  assert.equal(enrolled.captures, 2);
  assert.ok(captures.every((c) => allZero(c.embedding)), 'sealed and zeroed');
  assert.equal(session.pending().length, 0);

  const today = new Date();
  const born = (years: number) => new Date(Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const kids = [];
  for (const [name, years] of [['Chhotu', 1], ['Gudiya', 2]] as const) {
    const c = await session.api.createBeneficiary({ category: 'child_6m_3y', name, birthDate: born(years), guardian: { name: 'Meena', relation: 'mother' } });
    await session.api.recordConsent(c.id, { purpose: 'face_verification', givenBy: 'guardian', noticeVersion: 'v1', language: 'hi', method: 'verbal' });
    const link = await session.api.linkGuardian(c.id, { guardianId: mother.id, relation: 'mother' });
    assert.equal(link.guardianId, mother.id);
    kids.push(c.id);
  }
  const probe = capture(7, 0.3, 9);
  const visit = await session.guardianVisit(mother.id, kids, probe, { deviceId: 'phone-1' });
  assert.equal(visit.match, true);
  assert.deepEqual(visit.children.map((c) => c.childId).sort(), [...kids].sort());
  assert.ok(visit.children.every((c) => c.distributionId));
  assert.ok(allZero(probe.embedding));

  const again = await session.guardianVisit(mother.id, kids, capture(7, 0.3, 10)).catch((e: unknown) => e as { code: string; details: { childIds?: string[] } });
  assert.equal((again as { code: string }).code, 'already_distributed');
});
