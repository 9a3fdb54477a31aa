import { randomUUID } from 'node:crypto';
import { getBeneficiaries, type Beneficiary } from '../db/repositories/beneficiaries.js';
import { activeConsent } from '../db/repositories/consents.js';
import { recordFailedAttempt, recordRefusedAttempt } from '../db/repositories/face-attempts.js';
import { linkedChildren } from '../db/repositories/guardianships.js';
import { templatesOf } from '../db/repositories/templates.js';
import { distributedAmong, insertVerification, recordDistribution, type VerificationOutcome } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import { conflict } from '../errors.js';
import { lockAttemptsInOrder } from './attempt-locks.js';
import { distributionMonth, indianDay } from './calendar.js';
import { faceForChild } from './children.js';
import { matchFace } from './face-match.js';
import { fallbackFor, type FallbackAdvice, type FaceFailureReason } from './fallback.js';
import type { Probe } from './probe.js';
import { adviseFallback, openCase, type VerificationInput } from './verify.js';

/**
 * A guardian collects for one or more children with one capture of her own face: one match
 * against her template, then one verification row and one distribution per child, all in the
 * caller's transaction. Anything that makes the visit impossible (a link missing, a consent
 * missing, a ration already given) is refused before a row is written; a face decision (match, no
 * match, not live) writes rows, and so does a try after the day's face attempts ran out (refused
 * unscored, recorded), as a direct verification does.
 */
export interface GuardianVisitInput {
  guardian: Beneficiary;
  children: Beneficiary[];
  probe: Probe;
  scheme: VerificationInput['scheme'];
  worker: string;
  awc: string;
  now: Date;
  livenessThreshold: number;
  deviceId: string | null;
  maxFaceAttempts: number;
}

export interface ChildOutcome {
  childId: string;
  verificationId: string;
  outcome: VerificationOutcome;
  distributionId: string | null;
  fallback?: FallbackAdvice;
}

export interface GuardianVisitResult {
  visitId: string;
  outcome: VerificationOutcome;
  month: string;
  score: number | null;
  threshold: number | null;
  children: ChildOutcome[];
  /** Set when the visit was refused (409) after its rows were written: the face path is closed for today. */
  refusal?: { code: 'face_attempts_exhausted'; message: string; childIds: string[] };
}

/** Refusals that leave nothing behind: each names the fallback so the ration still goes home. */
async function assertVisitPossible(tx: Queryable, input: GuardianVisitInput, month: string): Promise<void> {
  const { guardian, children, now } = input;
  // Read again under the children's locks: a merge may have closed a record since the route read it.
  const closed = (await getBeneficiaries(tx, [guardian.id, ...children.map((c) => c.id)])).filter((b) => b.closedAt);
  if (closed.length > 0) throw conflict('beneficiary_closed', 'a record in this visit was merged into another; use the record it was merged into', { beneficiaryIds: closed.map((b) => b.id) });
  if (!(await activeConsent(tx, guardian.id))) {
    throw conflict('guardian_consent_required', "the guardian has not consented to face verification: record her consent, or complete the children's visits by OTP or attestation", { fallback: fallbackFor('no_consent') });
  }
  const linked = await linkedChildren(tx, guardian.id, children.map((c) => c.id));
  const unlinked = children.filter((c) => !linked.has(c.id)).map((c) => c.id);
  if (unlinked.length > 0) throw conflict('not_guardian_of_child', 'this person is not a registered guardian of every child named; link her first', { childIds: unlinked });
  for (const c of children) {
    if (!(await activeConsent(tx, c.id))) throw conflict('consent_required', "no active consent (given by the guardian) for this child's face verification", { childIds: [c.id], fallback: fallbackFor('no_consent') });
    const own = await templatesOf(tx, c.id, c);
    const fresh = own.some((t) => t.modelId === input.probe.model.id && (t.expiresAt === null || t.expiresAt > now));
    if (faceForChild(c, now, fresh) === 'own') {
      throw conflict('child_verifies_own_face', 'this child is three or older and has a current template of her own: verify her own face', { childIds: [c.id] });
    }
  }
  const given = await distributedAmong(tx, children.map((c) => c.id), input.scheme, month);
  if (given.length > 0) throw conflict('already_distributed', "this month's ration was already given for these children (perhaps through another guardian)", { childIds: given });
}

type FaceDecision = { outcome: 'match' | 'no_match'; score: number; threshold: number } | { outcome: 'liveness_failed'; score: null; threshold: null };

async function decideGuardianFace(tx: Queryable, input: GuardianVisitInput): Promise<FaceDecision> {
  const { guardian: g, probe } = input;
  // A capture that does not look live gets no score, as in a direct verification.
  if (probe.liveness < input.livenessThreshold) return { outcome: 'liveness_failed', score: null, threshold: null };
  const face = await matchFace(tx, g, probe, input.now);
  // Templates of another model only are as good as none for this capture.
  if (face.status === 'not_enrolled' || face.status === 'model_mismatch') throw conflict('guardian_not_enrolled', "the guardian has no face template for this model: enrol her, or complete the children's visits by OTP or attestation", { fallback: fallbackFor('not_enrolled') });
  if (face.status === 'template_expired') throw conflict('guardian_template_expired', "the guardian's template has expired: re-enrol her", { fallback: fallbackFor('template_expired') });
  return face;
}

export async function decideGuardianVisit(tx: Queryable, input: GuardianVisitInput): Promise<GuardianVisitResult> {
  const month = distributionMonth(input.now);
  const { guardian, children, maxFaceAttempts } = input;
  // Every face attempt for a child, direct or through any guardian, and every one that scores the
  // guardian's template (her own verification, another visit, a second-person check) waits here,
  // her row and the children's taken in one global id order so that two visits naming the same
  // people cannot deadlock. The "already given this month?" check that follows reads the truth,
  // and a losing visit is refused before it writes.
  const failedToday = await lockAttemptsInOrder(tx, [guardian, ...children], input.now);
  await assertVisitPossible(tx, input, month);
  // The face scored is the guardian's, so her day's limit is the one that keeps her template from
  // being probed: once it is used up (by her own verifications or by visits) no visit scores her
  // face. The children's limits stop visits too, as before: once a child's tries are used up no
  // guardian's face is scored for her that day, so several guardians are not a way round it.
  const guardianClosed = (failedToday.get(guardian.id) ?? 0) >= maxFaceAttempts;
  const exhausted = children.filter((c) => (failedToday.get(c.id) ?? 0) >= maxFaceAttempts).map((c) => c.id);
  if (guardianClosed || exhausted.length > 0) return refuseClosedFacePath(tx, input, month, guardianClosed, exhausted);
  const face = await decideGuardianFace(tx, input);
  const visitId = randomUUID();
  // A failed capture is one failed attempt of the guardian's (her template was scored) and, as
  // before, one of each child's (adviseFallback): a child's count says no face confirmed her today
  // (her case opens when it runs out: an exclusion signal), whichever guardian came. The worker is
  // told the fewer attempts left of the two.
  const guardianLeft = face.outcome === 'match' ? undefined : maxFaceAttempts - (await recordFailedAttempt(tx, { beneficiaryId: guardian.id, day: indianDay(input.now), awc: guardian.awc, district: guardian.district, state: guardian.state, at: input.now }));
  const outcomes: ChildOutcome[] = [];
  for (const child of children) {
    const verificationId = await insertChildVerification(tx, input, child, visitId, face);
    if (face.outcome !== 'match') {
      const fallback = await adviseFallback(tx, { ...input, beneficiary: child }, month, verificationId, face.outcome as FaceFailureReason, guardianLeft);
      outcomes.push({ childId: child.id, verificationId, outcome: face.outcome, distributionId: null, fallback });
      continue;
    }
    const distributionId = await recordDistribution(tx, { beneficiaryId: child.id, scheme: input.scheme, month, method: 'face', verificationId, worker: input.worker, awc: input.awc, district: child.district, state: child.state });
    // Only a fallback delivery for the child committed meanwhile gets here (it does not take the
    // attempt lock): the whole visit rolls back rather than deliver for some children.
    if (!distributionId) throw conflict('already_distributed', "this month's ration was already given for this child (perhaps through another guardian)", { childIds: [child.id] });
    outcomes.push({ childId: child.id, verificationId, outcome: 'match', distributionId });
  }
  return { visitId, outcome: face.outcome, month, score: face.score, threshold: face.threshold, children: outcomes };
}

/** One child's verification row of a visit: whose face was shown (the guardian's), and what it gave. */
function insertChildVerification(tx: Queryable, input: GuardianVisitInput, child: Beneficiary, visitId: string, face: { outcome: VerificationOutcome; score: number | null; threshold: number | null }): Promise<string> {
  return insertVerification(tx, {
    beneficiaryId: child.id,
    scheme: input.scheme,
    worker: input.worker,
    awc: input.awc,
    district: child.district,
    state: child.state,
    modelId: input.probe.model.id,
    outcome: face.outcome,
    score: face.score,
    threshold: face.threshold,
    quality: input.probe.quality,
    liveness: input.probe.liveness,
    deviceId: input.deviceId,
    faceOf: input.guardian.id,
    visitId,
    // The service's clock, as a direct verification's row: the day and month rules read it.
    at: input.now,
  });
}

const CLOSED_FOR_GUARDIAN = "The guardian's face attempts are used up for today: complete the children's visits by OTP or supervisor attestation.";
const CLOSED_FOR_CHILDREN = 'Face attempts for these children are used up for today: complete the visit by OTP or supervisor attestation.';

/**
 * The face path is closed for today (the guardian's, or a child's): nothing is scored, and the try
 * is recorded as a direct verification records one (verify.ts): a refused try on each closed path
 * (the exclusion metrics' `refusedAfterLockout`), an unscored verification row per child saying
 * whose face it was, and each child's month case opened (or the open one named) so the ration goes
 * home by OTP or attestation. The route answers 409 with these rows.
 */
async function refuseClosedFacePath(tx: Queryable, input: GuardianVisitInput, month: string, guardianClosed: boolean, exhausted: string[]): Promise<GuardianVisitResult> {
  const { guardian, children, now } = input;
  const day = indianDay(now);
  if (guardianClosed) await recordRefusedAttempt(tx, { beneficiaryId: guardian.id, day });
  for (const id of exhausted) await recordRefusedAttempt(tx, { beneficiaryId: id, day });
  const message = guardianClosed ? CLOSED_FOR_GUARDIAN : CLOSED_FOR_CHILDREN;
  const visitId = randomUUID();
  const outcomes: ChildOutcome[] = [];
  for (const child of children) {
    const verificationId = await insertChildVerification(tx, input, child, visitId, { outcome: 'face_attempts_exhausted', score: null, threshold: null });
    const opened = await openCase(tx, { ...input, beneficiary: child }, month, verificationId, 'no_match');
    outcomes.push({ childId: child.id, verificationId, outcome: 'face_attempts_exhausted', distributionId: null, fallback: { ...fallbackFor(opened.reason, { attemptsLeft: 0, fallbackCaseId: opened.id }), message } });
  }
  const childIds = guardianClosed ? children.map((c) => c.id) : exhausted;
  return { visitId, outcome: 'face_attempts_exhausted', month, score: null, threshold: null, children: outcomes, refusal: { code: 'face_attempts_exhausted', message, childIds } };
}
