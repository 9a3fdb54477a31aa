import { randomUUID } from 'node:crypto';
import { getBeneficiaries, type Beneficiary } from '../db/repositories/beneficiaries.js';
import { activeConsent } from '../db/repositories/consents.js';
import { linkedChildren } from '../db/repositories/guardianships.js';
import { templatesOf } from '../db/repositories/templates.js';
import { distributedAmong, insertVerification, recordDistribution, type VerificationOutcome } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import { conflict } from '../errors.js';
import { lockAttemptsInOrder } from './attempt-locks.js';
import { distributionMonth } from './calendar.js';
import { faceForChild } from './children.js';
import { matchFace } from './face-match.js';
import { fallbackFor, type FallbackAdvice, type FaceFailureReason } from './fallback.js';
import type { Probe } from './probe.js';
import { adviseFallback, type VerificationInput } from './verify.js';

/**
 * A guardian collects for one or more children with one capture of her own face: one match
 * against her template, then one verification row and one distribution per child, all in the
 * caller's transaction. Anything that makes the visit impossible (a link missing, a consent
 * missing, a ration already given) is refused before a row is written; only a face decision
 * (match, no match, not live) writes rows, as a direct verification does.
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
  // Every face attempt for a child, direct or through any guardian, waits here: the "already given
  // this month?" check that follows reads the truth, and a losing visit is refused before it writes.
  const failedToday = await lockAttemptsInOrder(tx, input.children, input.now);
  await assertVisitPossible(tx, input, month);
  // The day's face attempts are counted per child whichever face is shown (adviseFallback counts a
  // failed visit for each child): once a child's are used up, no guardian's face is scored for her
  // either, so a visit cannot be the way round the limit. Her case is open already (opened when
  // the last attempt failed), so OTP or attestation takes the ration home.
  const exhausted = input.children.filter((c) => (failedToday.get(c.id) ?? 0) >= input.maxFaceAttempts).map((c) => c.id);
  if (exhausted.length > 0) {
    throw conflict('face_attempts_exhausted', "face attempts for these children are used up for today: complete the visit by OTP or supervisor attestation", { childIds: exhausted, fallback: fallbackFor('no_match', { attemptsLeft: 0 }) });
  }
  const face = await decideGuardianFace(tx, input);
  const visitId = randomUUID();
  const children: ChildOutcome[] = [];
  for (const child of input.children) {
    const verificationId = await insertVerification(tx, {
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
    });
    if (face.outcome !== 'match') {
      const fallback = await adviseFallback(tx, { ...input, beneficiary: child }, month, verificationId, face.outcome as FaceFailureReason);
      children.push({ childId: child.id, verificationId, outcome: face.outcome, distributionId: null, fallback });
      continue;
    }
    const distributionId = await recordDistribution(tx, { beneficiaryId: child.id, scheme: input.scheme, month, method: 'face', verificationId, worker: input.worker, awc: input.awc, district: child.district, state: child.state });
    // Only a fallback delivery for the child committed meanwhile gets here (it does not take the
    // attempt lock): the whole visit rolls back rather than deliver for some children.
    if (!distributionId) throw conflict('already_distributed', "this month's ration was already given for this child (perhaps through another guardian)", { childIds: [child.id] });
    children.push({ childId: child.id, verificationId, outcome: 'match', distributionId });
  }
  return { visitId, outcome: face.outcome, month, score: face.score, threshold: face.threshold, children };
}
