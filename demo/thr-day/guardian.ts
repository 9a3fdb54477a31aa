import { ChehraApiError, type GuardianVisit } from '../../sdk/src/index.js';
import type { Captured } from './captures.js';
import { completeFallback, emptyRow, type Day, type Registered } from './visits.js';
import type { VisitRow } from './types.js';

// The guardian visit: a child under three is never enrolled by her own face; her mother's face is
// verified once and the ration of each of her children is recorded (one distribution per child,
// one transaction), through the worker's session like any other capture.

/** Links a child to the cast member who collects for her. */
export async function linkGuardian(day: Day, child: Registered, guardian: Registered): Promise<void> {
  await day.worker.api.linkGuardian(child.id, { guardianId: guardian.id, relation: child.member.guardian?.relation ?? 'guardian' });
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
export async function guardianVisit(day: Day, guardian: Registered, children: Registered[], captures: () => Promise<Captured | undefined>): Promise<VisitRow[]> {
  const t0 = performance.now();
  const rows = children.map((c) => ({ ...emptyRow(c, 'guardian'), collectedBy: guardian.member.name }));
  for (;;) {
    const c = await captures();
    if (!c) throw new Error(`no photo of ${guardian.member.name} passes the pipeline for the guardian visit`);
    let visit: GuardianVisit;
    try {
      visit = await day.desk.timedSend(() => day.worker.guardianVisit(guardian.id, children.map((x) => x.id), c.result, { deviceId: day.deviceId }));
    } catch (err) {
      throw err instanceof ChehraApiError ? new Error(`guardian visit refused: ${err.code}`) : err;
    }
    day.month = visit.month;
    for (const row of rows) {
      const out = visit.children.find((x) => x.childId === row.beneficiaryId)!;
      Object.assign(row, { outcome: out.outcome, attempts: row.attempts + 1, photos: [...row.photos, c.photo], faceMs: row.faceMs + c.ms });
      if (out.distributionId) Object.assign(row, { method: 'face', delivered: true, distributionId: out.distributionId });
      if (out.fallback?.fallbackCaseId) row.fallbackCaseId = out.fallback.fallbackCaseId;
    }
    if (visit.match || rows.every((x) => x.fallbackCaseId)) break;
    day.log(`${guardian.member.name} for her children: ${visit.outcome}, retaking`);
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
