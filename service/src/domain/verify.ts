import type { Scheme } from '@chehra/contract';
import { appendAudit } from '../db/repositories/audit.js';
import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import { scoreBeneficiaryTemplates } from '../db/repositories/templates.js';
import { countFailedFaceAttempts, insertVerification, recordDistribution, setVerificationOutcome, visitState, type VerificationOutcome } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import { openFallbackCase } from '../db/repositories/fallback-cases.js';
import { conflict } from '../errors.js';
import { distributionMonth, startOfIndianDay } from './calendar.js';
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
  /** The capturing device, when the app names it: the retry limit is per beneficiary and device. */
  deviceId: string | null;
  /** Face attempts per visit before a fallback case is opened for the worker. */
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
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

type Decision = Pick<VerificationResult, 'outcome' | 'score' | 'threshold' | 'fallback' | 'refusal'>;

/** The face decision, before anything is written. */
async function decide(tx: Queryable, input: VerificationInput, month: string): Promise<Decision> {
  const { beneficiary: b, probe } = input;
  const visit = await visitState(tx, b.id, input.scheme, month);
  if (visit.distributed) {
    return { outcome: 'already_distributed', score: null, threshold: null, refusal: { code: 'already_distributed', message: "this month's ration was already given to this beneficiary" } };
  }
  if (!visit.consented) {
    return { outcome: 'no_consent', score: null, threshold: null, fallback: fallbackFor('no_consent'), refusal: { code: 'consent_required', message: 'no active consent for face verification' } };
  }
  // A capture that does not look live gets no score: a spoof should learn nothing about how close it came.
  if (probe.liveness < input.livenessThreshold) {
    return { outcome: 'liveness_failed', score: null, threshold: null, fallback: fallbackFor('liveness_failed') };
  }
  const templates = await scoreBeneficiaryTemplates(tx, b.id, b.state, probe.model.id, probe.embedding, input.now);
  if (templates.length === 0) {
    return { outcome: 'not_enrolled', score: null, threshold: null, fallback: fallbackFor('not_enrolled'), refusal: { code: 'not_enrolled', message: 'no face template is enrolled for this beneficiary' } };
  }
  const sameModel = templates.filter((t) => t.modelId === probe.model.id);
  if (sameModel.length === 0) {
    throw conflict('model_mismatch', 'the enrolled template was made by another model; update the app or re-enrol');
  }
  const current = sameModel.filter((t) => !t.expired);
  if (current.length === 0) {
    return { outcome: 'template_expired', score: null, threshold: null, fallback: fallbackFor('template_expired'), refusal: { code: 'template_expired', message: 'the face template has expired; re-enrol' } };
  }
  const score = round(Math.max(...current.map((t) => t.score)));
  const threshold = probe.model.matchThreshold;
  return score >= threshold
    ? { outcome: 'match', score, threshold }
    : { outcome: 'no_match', score, threshold, fallback: fallbackFor('no_match') };
}

/**
 * 1:1 verification inside the caller's transaction: the verification row and, on a
 * match, the month's distribution are written together or not at all.
 */
export async function decideVerification(tx: Queryable, input: VerificationInput): Promise<VerificationResult> {
  const month = distributionMonth(input.now);
  const decision = await decide(tx, input, month);
  const base = {
    beneficiaryId: input.beneficiary.id,
    scheme: input.scheme,
    worker: input.worker,
    awc: input.awc,
    district: input.beneficiary.district,
    modelId: input.probe.model.id,
    score: decision.score,
    threshold: decision.threshold,
    quality: input.probe.quality,
    liveness: input.probe.liveness,
  };
  const verificationId = await insertVerification(tx, { ...base, deviceId: input.deviceId, outcome: decision.outcome });
  if (decision.fallback) {
    const fallback = await adviseFallback(tx, input, month, verificationId, decision.fallback.reason as FaceFailureReason);
    return { verificationId, month, distributionId: null, ...decision, fallback };
  }
  if (decision.outcome !== 'match') return { verificationId, month, distributionId: null, ...decision };

  const distributionId = await recordDistribution(tx, { beneficiaryId: input.beneficiary.id, scheme: input.scheme, month, method: 'face', verificationId, worker: input.worker, awc: input.awc });
  if (distributionId) return { verificationId, month, distributionId, ...decision };
  // Lost the race to a concurrent verification of the same beneficiary: that one delivered the ration.
  await setVerificationOutcome(tx, verificationId, 'already_distributed');
  return { verificationId, month, distributionId: null, ...decision, outcome: 'already_distributed', refusal: { code: 'already_distributed', message: "this month's ration was already given to this beneficiary" } };
}

/**
 * A retryable failure (no match, not live) leaves attempts for this visit; when they run out,
 * or when no capture could ever succeed (no consent, no template), the case is opened here so
 * the worker can go straight to OTP or attestation.
 */
export async function adviseFallback(tx: Queryable, input: VerificationInput, month: string, verificationId: string, reason: FaceFailureReason): Promise<FallbackAdvice> {
  let attemptsLeft: number | undefined;
  if (RETRYABLE.has(reason)) {
    const failed = await countFailedFaceAttempts(tx, { beneficiaryId: input.beneficiary.id, worker: input.worker, deviceId: input.deviceId, since: startOfIndianDay(input.now) });
    attemptsLeft = Math.max(0, input.maxFaceAttempts - failed);
    if (attemptsLeft > 0) return fallbackFor(reason, { attemptsLeft });
  }
  const b = input.beneficiary;
  const opened = await openFallbackCase(tx, { beneficiaryId: b.id, scheme: input.scheme, month, reason, verificationId, openedBy: input.worker, awc: b.awc, district: b.district, state: b.state, workerNote: null });
  if (opened.created) {
    await appendAudit(tx, { actor: input.worker, role: 'worker', action: 'fallback.opened', subjectType: 'fallback_case', subjectId: opened.case.id, district: b.district, details: { beneficiaryId: b.id, reason, verificationId, automatic: true } }, input.now);
  }
  return fallbackFor(reason, { ...(attemptsLeft === undefined ? {} : { attemptsLeft }), fallbackCaseId: opened.case.id });
}
