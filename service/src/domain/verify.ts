import type { Scheme } from '@chehra/contract';
import { appendAudit } from '../db/repositories/audit.js';
import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import type { TemplateScore } from '../db/repositories/templates.js';
import { insertMatchAndDistribution, insertVerification, setVerificationOutcome, visitState, type VerificationOutcome } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import { openFallbackCase } from '../db/repositories/fallback-cases.js';
import { lockFaceAttempts, recordFailedAttempt, recordRefusedAttempt } from '../db/repositories/face-attempts.js';
import { conflict } from '../errors.js';
import { distributionMonth, indianDay } from './calendar.js';
import { matchFace } from './face-match.js';
import { fallbackFor, RETRYABLE, type FallbackAdvice, type FaceFailureReason } from './fallback.js';
import type { Probe } from './probe.js';

export interface VerificationInput {
  beneficiary: Beneficiary;
  probe: Probe;
  scheme: Scheme;
  worker: string;
  awc: string;
  now: Date;
  livenessThreshold: number;
  /** The capturing device, when the app names it (recorded; the retry limit does not depend on it). */
  deviceId: string | null;
  /** Failed face attempts per beneficiary and day, across devices and workers, before the face path closes. */
  maxFaceAttempts: number;
}

export interface VerificationResult {
  verificationId: string;
  outcome: VerificationOutcome;
  score: number | null;
  threshold: number | null;
  month: string;
  distributionId: string | null;
  fallback?: FallbackAdvice;
  /** Set when the answer is a refusal (409) rather than a decision. */
  refusal?: { code: string; message: string };
  /** The current templates that were scored (for the refresh after a match); never in an answer. */
  templates?: TemplateScore[];
}

type Decision = Pick<VerificationResult, 'outcome' | 'score' | 'threshold' | 'fallback' | 'refusal' | 'templates'>;

const EXHAUSTED_MESSAGE = 'Face attempts for this beneficiary are used up for today: complete the visit by OTP or supervisor attestation.';

/** The face decision, before anything is written (except the day's attempt count). */
async function decide(tx: Queryable, input: VerificationInput, month: string, failedToday: number): Promise<Decision> {
  const { beneficiary: b, probe } = input;
  const visit = await visitState(tx, b.id, input.scheme, month);
  // Merged while this attempt waited for the lock: the merge moved this month's ration to the kept
  // record, so nothing may be delivered on this one any more (the route checked before the lock).
  if (visit.closed) throw conflict('beneficiary_closed', 'this record was merged into another; verify the record it was merged into');
  if (visit.distributed) {
    return { outcome: 'already_distributed', score: null, threshold: null, refusal: { code: 'already_distributed', message: "this month's ration was already given to this beneficiary" } };
  }
  if (!visit.consented) {
    return { outcome: 'no_consent', score: null, threshold: null, fallback: fallbackFor('no_consent'), refusal: { code: 'consent_required', message: 'no active consent for face verification' } };
  }
  // The face path is closed for the day: nothing is scored, so repeated probing learns nothing more.
  if (failedToday >= input.maxFaceAttempts) {
    return { outcome: 'face_attempts_exhausted', score: null, threshold: null, refusal: { code: 'face_attempts_exhausted', message: EXHAUSTED_MESSAGE } };
  }
  // A capture that does not look live gets no score: a spoof should learn nothing about how close it came.
  if (probe.liveness < input.livenessThreshold) {
    return { outcome: 'liveness_failed', score: null, threshold: null, fallback: fallbackFor('liveness_failed') };
  }
  const face = await matchFace(tx, b, probe, input.now);
  if (face.status === 'not_enrolled') {
    return { outcome: 'not_enrolled', score: null, threshold: null, fallback: fallbackFor('not_enrolled'), refusal: { code: 'not_enrolled', message: 'no face template is enrolled for this beneficiary' } };
  }
  if (face.status === 'model_mismatch') {
    throw conflict('model_mismatch', 'the enrolled template was made by another model; update the app or re-enrol');
  }
  if (face.status === 'template_expired') {
    return { outcome: 'template_expired', score: null, threshold: null, fallback: fallbackFor('template_expired'), refusal: { code: 'template_expired', message: 'the face template has expired; re-enrol' } };
  }
  // The score and threshold are kept for the verification row and the admin's case view; the
  // worker's answer is built from the outcome alone (routes/verifications.ts).
  const { outcome, score, threshold } = face;
  return outcome === 'match' ? { outcome, score, threshold, templates: face.current } : { outcome, score, threshold, fallback: fallbackFor('no_match') };
}

/**
 * 1:1 verification inside the caller's transaction: the verification row and, on a
 * match, the month's distribution are written together or not at all.
 */
export async function decideVerification(tx: Queryable, input: VerificationInput): Promise<VerificationResult> {
  const month = distributionMonth(input.now);
  const b = input.beneficiary;
  const attemptKey = { beneficiaryId: b.id, day: indianDay(input.now) };
  // First: every attempt for this beneficiary today waits here for the one before it (see face-attempts.ts).
  const failedToday = await lockFaceAttempts(tx, { ...attemptKey, awc: b.awc, district: b.district, state: b.state, at: input.now });
  const decision = await decide(tx, input, month, failedToday);
  const base = {
    beneficiaryId: b.id,
    scheme: input.scheme,
    worker: input.worker,
    awc: input.awc,
    district: b.district,
    state: b.state,
    modelId: input.probe.model.id,
    score: decision.score,
    threshold: decision.threshold,
    quality: input.probe.quality,
    liveness: input.probe.liveness,
  };
  const row = { ...base, deviceId: input.deviceId, outcome: decision.outcome, at: input.now };
  if (decision.outcome === 'match') {
    const { verificationId, distributionId } = await insertMatchAndDistribution(tx, row, month);
    if (distributionId) return { verificationId, month, distributionId, ...decision };
    // Lost the race to a concurrent verification of the same beneficiary: that one delivered the ration.
    await setVerificationOutcome(tx, verificationId, 'already_distributed');
    return { verificationId, month, distributionId: null, ...decision, outcome: 'already_distributed', refusal: { code: 'already_distributed', message: "this month's ration was already given to this beneficiary" } };
  }
  const verificationId = await insertVerification(tx, row);
  if (decision.outcome === 'face_attempts_exhausted') {
    await recordRefusedAttempt(tx, attemptKey);
    const opened = await openCase(tx, input, month, verificationId, 'no_match');
    return { verificationId, month, distributionId: null, ...decision, fallback: { ...fallbackFor(opened.reason, { attemptsLeft: 0, fallbackCaseId: opened.id }), message: EXHAUSTED_MESSAGE } };
  }
  if (decision.fallback) {
    const fallback = await adviseFallback(tx, input, month, verificationId, decision.fallback.reason as FaceFailureReason);
    return { verificationId, month, distributionId: null, ...decision, fallback };
  }
  return { verificationId, month, distributionId: null, ...decision };
}

/** The month's case for this beneficiary, opened now if there is none (audited when it is new). */
export async function openCase(tx: Queryable, input: VerificationInput, month: string, verificationId: string, reason: FaceFailureReason) {
  const b = input.beneficiary;
  const opened = await openFallbackCase(tx, { beneficiaryId: b.id, scheme: input.scheme, month, reason, verificationId, openedBy: input.worker, awc: b.awc, district: b.district, state: b.state, workerNote: null });
  if (opened.created) {
    await appendAudit(tx, { actor: input.worker, role: 'worker', action: 'fallback.opened', subjectType: 'fallback_case', subjectId: opened.case.id, district: b.district, details: { beneficiaryId: b.id, reason, verificationId, automatic: true } }, input.now);
  }
  return opened.case;
}

/**
 * A retryable failure (no match, not live) leaves attempts for today, counted per beneficiary
 * across every device and worker; when they run out, or when no capture could ever succeed (no
 * consent, no template), the case is opened here so the worker can go straight to OTP or attestation.
 * `otherLeft`: attempts left to someone else whose face was the one scored (a guardian visit): the
 * fewer of the two is what the worker has left.
 */
export async function adviseFallback(tx: Queryable, input: VerificationInput, month: string, verificationId: string, reason: FaceFailureReason, otherLeft?: number): Promise<FallbackAdvice> {
  let attemptsLeft: number | undefined;
  if (RETRYABLE.has(reason)) {
    const b = input.beneficiary;
    const failed = await recordFailedAttempt(tx, { beneficiaryId: b.id, day: indianDay(input.now), awc: b.awc, district: b.district, state: b.state, at: input.now });
    attemptsLeft = Math.max(0, Math.min(input.maxFaceAttempts - failed, otherLeft ?? Infinity));
    if (attemptsLeft > 0) return fallbackFor(reason, { attemptsLeft });
  }
  const opened = await openCase(tx, input, month, verificationId, reason);
  return fallbackFor(reason, { ...(attemptsLeft === undefined ? {} : { attemptsLeft }), fallbackCaseId: opened.id });
}
