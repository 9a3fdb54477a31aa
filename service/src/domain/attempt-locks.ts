import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import { lockFaceAttempts } from '../db/repositories/face-attempts.js';
import type { Queryable } from '../db/types.js';
import { indianDay } from './calendar.js';

/**
 * Takes the day's face-attempt row lock (face-attempts.ts) of each person, in id order. Every face
 * attempt waits on this row, so whoever holds it reads the month's ration and the record's state
 * as they are. Several rows are taken in one global order: two transactions naming the same
 * people in another order would otherwise each hold one and wait for the other (a deadlock on a
 * server; PGlite runs one transaction at a time and never shows it). Returns each person's failed
 * face attempts of the day.
 */
export async function lockAttemptsInOrder(tx: Queryable, people: ReadonlyArray<Pick<Beneficiary, 'id' | 'awc' | 'district' | 'state'>>, now: Date): Promise<Map<string, number>> {
  const day = indianDay(now);
  const failedToday = new Map<string, number>();
  for (const b of [...people].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))) {
    failedToday.set(b.id, await lockFaceAttempts(tx, { beneficiaryId: b.id, day, awc: b.awc, district: b.district, state: b.state, at: now }));
  }
  return failedToday;
}
