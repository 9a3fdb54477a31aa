import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import { insertChangeRequest, openChangeRequest, supersedeChangeRequest, type ChangeKind, type ChangeRequest } from '../db/repositories/change-requests.js';
import { lockFaceAttempts, recordFailedAttempt } from '../db/repositories/face-attempts.js';
import { scoreBeneficiaryTemplates } from '../db/repositories/templates.js';
import type { Queryable } from '../db/types.js';
import { indianDay } from './calendar.js';
import type { Probe } from './probe.js';

/**
 * Re-enrolment over an earlier template, a change of the mobile number that receives the OTP and a
 * further guardian for a child are what a worker would do to take a beneficiary's ration: swap in
 * her own face, her own phone, or link an adult whose face then collects the child's. Each needs a
 * second person: the beneficiary herself (for a child, her existing guardian), by a face that
 * matches her current template, or a supervisor of the AWC's sector, who approves the request in
 * her queue. Every such change, however it was allowed, is a change request the district admin sees.
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

/** The link a guardian_link request asks for. */
export interface GuardianLinkChange {
  guardianId: string;
  relation: string;
  since: string;
}

export interface ChangeAsked {
  /** Whose record changes: for a guardian link, the child. */
  beneficiary: Beneficiary;
  kind: ChangeKind;
  newMobile: string | null;
  guardianLink?: GuardianLinkChange;
  /** Whose current template the capture must match: the beneficiary's own unless said (a child's existing guardian). */
  faceOf?: Beneficiary;
  requestedBy: string;
  now: Date;
  probe: Probe | null;
}

/** Is the open request for this very change? An approval is for what the supervisor saw. */
function sameChange(open: ChangeRequest, req: ChangeAsked): boolean {
  switch (req.kind) {
    case 're_enrolment':
      return true;
    case 'mobile_change':
      return open.newMobile === req.newMobile;
    case 'guardian_link':
      return open.guardianId === req.guardianLink?.guardianId && open.relation === req.guardianLink?.relation && open.since === req.guardianLink?.since;
  }
}

/**
 * May this change go ahead now? A supervisor's approval already given, or the face of the person
 * whose say it is, lets it through (recorded as a request applied by face_match); otherwise the
 * open request is returned, made if there is none, for a supervisor to decide. One request is
 * open per record and kind: a different ask (another number, another guardian) replaces it.
 */
export async function secondPerson(tx: Queryable, req: ChangeAsked, rules: SecondPersonRules): Promise<Gate> {
  const b = req.beneficiary;
  if (req.kind === 're_enrolment' && !b.faceEnrolledAt) return { allowed: true, via: 'first_enrolment' };
  const row = { beneficiaryId: b.id, kind: req.kind, newMobile: req.newMobile, ...req.guardianLink, requestedBy: req.requestedBy, requestedAt: req.now, awc: b.awc, district: b.district, state: b.state };
  const open = await openChangeRequest(tx, b.id, req.kind);
  if (open?.status === 'approved' && sameChange(open, req)) return { allowed: true, via: 'supervisor', request: open };
  const faceOf = req.faceOf ?? b;
  if (req.probe && (await faceMatchesCurrentTemplate(tx, faceOf, req.probe, req.now, rules))) {
    if (open) {
      await supersedeChangeRequest(tx, open.id, `superseded by a change ${faceOf === b ? 'the beneficiary' : "the child's guardian"} made with her face`, req.now);
    }
    return { allowed: true, via: 'face_match', request: await insertChangeRequest(tx, { ...row, appliedByFaceMatch: true }) };
  }
  if (open && sameChange(open, req)) return { allowed: false, request: open };
  if (open) {
    // A new ask replaces the one still waiting: the supervisor decides on the latest.
    await supersedeChangeRequest(tx, open.id, 'superseded by a newer request', req.now);
  }
  return { allowed: false, request: await insertChangeRequest(tx, row) };
}
