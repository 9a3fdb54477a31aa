import type { Captured } from './captures.js';
import { completeFallback, emptyRow, type Day, type Registered } from './visits.js';
import type { VisitRow } from './types.js';

// The guardian visit: a child under three is never enrolled by her own face; her mother's face is
// verified once and the ration of each of her children is recorded (one distribution per child,
// one transaction). The SDK client has no typed call for these two routes yet, so they are sent
// with fetch; the capture is sealed by the worker's session as any other.

export interface Http {
  baseUrl: string;
  token: string;
  fetch: typeof fetch;
}

async function post(http: Http, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await http.fetch(`${http.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${http.token}`, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Links each child to the cast member who collects for her. */
export async function linkGuardian(http: Http, child: Registered, guardian: Registered): Promise<void> {
  const r = await post(http, `/v1/beneficiaries/${child.id}/guardians`, { guardianId: guardian.id, relation: child.member.guardian?.relation ?? 'guardian' });
  if (r.status !== 201) throw new Error(`linking ${child.member.name} to ${guardian.member.name}: HTTP ${r.status} ${r.body?.code}`);
}

/** Photos of the guardian not used yet, then her visit photo again (a new capture of the same file). */
export function guardianPhotos(day: Day, guardian: Registered, used: ReadonlySet<string>): () => Promise<Captured | undefined> {
  const person = guardian.person!;
  const queue = [...person.rest.filter((p) => !used.has(p)), person.visit.photo];
  return async () => {
    while (queue.length) {
      const c = await day.desk.capture(queue.shift()!);
      if (c) return c;
    }
    return undefined;
  };
}

/**
 * One guardian capture for all her children: captures until the service decides (a match, or the
 * attempts used up and a fallback case opened for each child), then each child's fallback is
 * completed. One row per child.
 */
export async function guardianVisit(day: Day, http: Http, guardian: Registered, children: Registered[], captures: () => Promise<Captured | undefined>): Promise<VisitRow[]> {
  const t0 = performance.now();
  const rows = children.map((c) => ({ ...emptyRow(c, 'guardian'), collectedBy: guardian.member.name }));
  for (;;) {
    const c = await captures();
    if (!c) throw new Error(`no photo of ${guardian.member.name} passes the pipeline for the guardian visit`);
    const pending = await day.worker.seal(c.result);
    let r: { status: number; body: any };
    try {
      r = await day.desk.timedSend(() => post(http, '/v1/guardian-visits', { guardianId: guardian.id, childIds: children.map((x) => x.id), envelope: day.worker.envelopeOf(pending), deviceId: day.deviceId }));
    } finally {
      day.worker.discard(pending);
    }
    if (r.status !== 200) throw new Error(`guardian visit: HTTP ${r.status} ${r.body?.code}`);
    day.month = r.body.month;
    for (const row of rows) {
      const out = r.body.children.find((x: { childId: string }) => x.childId === row.beneficiaryId);
      Object.assign(row, { outcome: out.outcome, attempts: row.attempts + 1, photos: [...row.photos, c.photo], faceMs: row.faceMs + c.ms });
      if (out.distributionId) Object.assign(row, { method: 'face', delivered: true, distributionId: out.distributionId });
      if (out.fallback?.fallbackCaseId) row.fallbackCaseId = out.fallback.fallbackCaseId;
    }
    if (r.body.match || rows.every((x) => x.fallbackCaseId)) break;
    day.log(`${guardian.member.name} for her children: ${r.body.outcome}, retaking`);
  }
  for (const row of rows.filter((x) => !x.delivered && x.fallbackCaseId)) {
    const child = children.find((x) => x.id === row.beneficiaryId)!;
    const done = await completeFallback(day, child, row.fallbackCaseId!, `${child.member.name} collected by ${guardian.member.name}, known to me`);
    Object.assign(row, { method: done.method, delivered: done.delivered, distributionId: done.distributionId });
  }
  const ms = performance.now() - t0;
  for (const row of rows) {
    row.ms = ms;
    day.visits.push(row);
  }
  day.log(`${guardian.member.name} collected for ${children.map((x) => x.member.name).join(' and ')} with one capture of her face`);
  return rows;
}
