import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import { insertChangeRequest, openChangeRequest, supersedeChangeRequest, type ChangeKind, type ChangeRequest } from '../db/repositories/change-requests.js';
import { lockFaceAttempts, recordFailedAttempt } from '../db/repositories/face-attempts.js';
import { scoreBeneficiaryTemplates } from '../db/repositories/templates.js';
import type { Queryable } from '../db/types.js';
import { indianDay } from './calendar.js';
import type { Probe } from './probe.js';

/**
 * Re-enrolment over an earlier template and a change of the mobile number that receives the OTP
 * are what a worker would do to take a beneficiary's ration: swap in her own face, or her own
 * phone. Each needs a second person: the beneficiary herself, by a face that matches her current
 * template, or a supervisor of the AWC's sector, who approves the request in her queue. Every
 * such change, however it was allowed, is a change request the district admin sees.
 */
export interface SecondPersonRules {
  livenessThreshold: number;
  maxFaceAttempts: number;
}

/**
 * Does the probe match the beneficiary's current (unexpired, same-model) template? It is a face
 * attempt like a verification: counted in the day's attempts, refused unscored once they are used
 * up, and only yes or no comes back.
 */
export async function faceMatchesCurrentTemplate(tx: Queryable, b: Beneficiary, probe: Probe, now: Date, rules: SecondPersonRules): Promise<boolean> {
  const key = { beneficiaryId: b.id, day: indianDay(now), awc: b.awc, district: b.district, state: b.state, at: now };
  const failed = await lockFaceAttempts(tx, key);
  if (failed >= rules.maxFaceAttempts) return false;
  const current = (await scoreBeneficiaryTemplates(tx, b.id, b, probe.model.id, probe.embedding, now)).filter((t) => t.modelId === probe.model.id && !t.expired);
  if (current.length === 0) return false; // nothing of hers to match against: a supervisor decides
  const ok = probe.liveness >= rules.livenessThreshold && Math.max(...current.map((t) => t.score)) >= probe.model.matchThreshold;
  if (!ok) await recordFailedAttempt(tx, key);
  return ok;
}

export type Gate = { allowed: true; via: 'first_enrolment' | 'supervisor' | 'face_match'; request?: ChangeRequest } | { allowed: false; request: ChangeRequest };

/**
 * May this change go ahead now? A supervisor's approval already given, or the beneficiary's own
 * face, lets it through (recorded as a request applied by face_match); otherwise the open request
 * is returned, made if there is none, for a supervisor to decide.
 */
export async function secondPerson(
  tx: Queryable,
  req: { beneficiary: Beneficiary; kind: ChangeKind; newMobile: string | null; requestedBy: string; now: Date; probe: Probe | null },
  rules: SecondPersonRules,
): Promise<Gate> {
  const b = req.beneficiary;
  if (req.kind === 're_enrolment' && !b.faceEnrolledAt) return { allowed: true, via: 'first_enrolment' };
  const open = await openChangeRequest(tx, b.id, req.kind);
  // An approval is for the change the supervisor saw: another mobile number needs its own.
  if (open?.status === 'approved' && (req.kind === 're_enrolment' || open.newMobile === req.newMobile)) return { allowed: true, via: 'supervisor', request: open };
  if (req.probe && (await faceMatchesCurrentTemplate(tx, b, req.probe, req.now, rules))) {
    if (open) {
      await supersedeChangeRequest(tx, open.id, 'superseded by a change the beneficiary made with her face', req.now);
    }
    const applied = await insertChangeRequest(tx, { beneficiaryId: b.id, kind: req.kind, newMobile: req.newMobile, requestedBy: req.requestedBy, requestedAt: req.now, awc: b.awc, district: b.district, state: b.state, appliedByFaceMatch: true });
    return { allowed: true, via: 'face_match', request: applied };
  }
  if (open && (req.kind === 're_enrolment' || open.newMobile === req.newMobile)) return { allowed: false, request: open };
  if (open) {
    // A new number replaces the one still waiting: the supervisor decides on the latest ask.
    await supersedeChangeRequest(tx, open.id, 'superseded by a newer request', req.now);
  }
  return { allowed: false, request: await insertChangeRequest(tx, { beneficiaryId: b.id, kind: req.kind, newMobile: req.newMobile, requestedBy: req.requestedBy, requestedAt: req.now, awc: b.awc, district: b.district, state: b.state }) };
}
