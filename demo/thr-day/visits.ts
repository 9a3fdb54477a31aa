import { ChehraApiError, type ChehraClient, type FallbackCase, type FallbackReason, type Verification, type WorkerSession } from '../../sdk/src/index.js';
import type { CastMember, Role } from './cast.js';
import type { CaptureDesk, Captured } from './captures.js';
import type { BeneficiaryLine, InProcessService, VisitPath, VisitRow } from './types.js';

// The visits of the day: a face visit (captures until a decision, then the fallback if needed),
// the no-consent visit (no photo at all), and the fallback's completion by OTP or attestation.

export interface Registered {
  member: CastMember;
  id: string;
  line: BeneficiaryLine;
  /** LFW person and their unused photos, once enrolled. */
  person?: { name: string; visit: Captured; rest: string[] };
}

/** What every visit needs: the worker's session, the supervisor, the camera, and the day's record. */
export interface Day {
  worker: WorkerSession;
  supervisor: ChehraClient;
  /** The in-process service, whose development outbox holds the OTP SMS; absent for a running service. */
  local: InProcessService | undefined;
  desk: CaptureDesk;
  deviceId: string;
  log: (line: string) => void;
  visits: VisitRow[];
  /** The distribution month, YYYY-MM, once the service has named it. */
  month: string | null;
}

/** The OTP in the SMS, as the beneficiary reads it off her phone. */
function otpFrom(text: string): string | undefined {
  return /\b(\d{6})\b/.exec(text)?.[1];
}

export const byRole = (registered: Registered[], role: Role, i = 0) => registered.filter((r) => r.member.role === role)[i]!;

export function emptyRow(r: Registered, path: VisitPath): VisitRow {
  return { beneficiary: r.member.name, beneficiaryId: r.id, category: r.member.category, path, photos: [], outcome: 'no_capture', attempts: 0, method: null, delivered: false, distributionId: null, fallbackCaseId: null, refusal: null, ms: 0, faceMs: 0 };
}

/** Completes an open case: OTP to the registered mobile when the SMS can be read here, else attestation. */
export async function completeFallback(day: Day, r: Registered, caseId: string, attestationNote: string): Promise<FallbackCase> {
  if (day.local && r.member.mobile) {
    const sent = await day.worker.api.sendFallbackOtp(caseId);
    const sms = day.local.outbox.latestTo(r.member.mobile);
    const otp = sms ? otpFrom(sms.text) : undefined;
    if (!otp) throw new Error('the OTP SMS did not arrive in the development outbox');
    day.log(`${r.member.name}: OTP sent to ${sent.sentTo}; she reads it out from her phone`);
    return day.worker.api.verifyFallbackOtp(caseId, otp);
  }
  day.log(`${r.member.name}: supervisor attests (${day.local ? 'no registered mobile' : 'remote service: the OTP SMS cannot be read here'})`);
  return day.supervisor.attestFallback(caseId, { reasonCode: 'known_to_supervisor', note: attestationNote });
}

/**
 * Face captures until the ration is recorded, the service refuses, or a fallback case is
 * open (the service opens one after the allowed attempts); then the fallback completes it.
 */
export async function faceVisit(day: Day, r: Registered, path: VisitPath, captures: () => Promise<Captured | undefined>, attestationNote: string): Promise<VisitRow> {
  const t0 = performance.now();
  const row = emptyRow(r, path);
  let lastVerification: string | undefined;
  // The visit photo picked at enrolment was captured earlier: its pipeline time belongs to this visit.
  let capturedBefore = 0;
  for (;;) {
    const c = await captures();
    if (!c) break;
    row.photos.push(c.photo);
    row.faceMs += c.ms;
    if (c.takenAt < t0) capturedBefore += c.ms;
    row.attempts++;
    let v: Verification;
    try {
      v = await day.desk.timedSend(() => day.worker.verify(r.id, c.result, { deviceId: day.deviceId }));
    } catch (err) {
      if (!(err instanceof ChehraApiError) || err.status !== 409 || typeof err.details.outcome !== 'string') throw err;
      v = err.details as unknown as Verification;
      row.refusal = err.code;
    }
    day.month = v.month.slice(0, 7);
    lastVerification = v.verificationId;
    // The worker's phone learns the decision, never the score.
    row.outcome = v.outcome;
    if (v.distributionId) {
      Object.assign(row, { method: 'face', delivered: true, distributionId: v.distributionId });
      break;
    }
    if (v.fallback?.fallbackCaseId) {
      row.fallbackCaseId = v.fallback.fallbackCaseId;
      break;
    }
    if (!v.fallback) break; // refused without a fallback: already_distributed
    day.log(`${r.member.name}: ${v.outcome}, ${v.fallback.attemptsLeft ?? 0} attempt(s) left`);
  }
  if (!row.delivered && row.refusal !== 'already_distributed') {
    if (!row.fallbackCaseId) {
      // No case yet (no usable capture, or the attempts ran out of photos): the worker opens one.
      const reason: FallbackReason = row.attempts === 0 ? 'poor_quality' : row.outcome === 'liveness_failed' ? 'liveness_failed' : 'no_match';
      const opened = await day.worker.api.openFallbackCase({ beneficiaryId: r.id, reason, ...(lastVerification ? { verificationId: lastVerification } : {}) });
      row.fallbackCaseId = opened.id;
    }
    const done = await completeFallback(day, r, row.fallbackCaseId, attestationNote);
    Object.assign(row, { method: done.method, delivered: done.delivered, distributionId: done.distributionId });
  }
  row.ms = performance.now() - t0 + capturedBefore;
  day.visits.push(row);
  return row;
}

/** The visit capture chosen at enrolment, then retakes from the person's other photos. */
export function ownPhotos(day: Day, r: Registered): () => Promise<Captured | undefined> {
  const person = r.person!;
  let first: Captured | undefined = person.visit;
  const rest = [...person.rest];
  return async () => {
    if (first) {
      const c = first;
      first = undefined;
      return c;
    }
    while (rest.length) {
      const c = await day.desk.capture(rest.shift()!);
      if (c) return c;
    }
    return undefined;
  };
}

/** Someone else stands in front of the camera: another LFW person's photos, retaken until the attempts run out. */
export function strangerShots(day: Day, stranger: { photos: string[] }): () => Promise<Captured | undefined> {
  const photos = [...stranger.photos];
  let taken = 0;
  return async () => {
    while (taken < 3 * photos.length) {
      const photo = photos[taken++ % photos.length]!;
      if (day.desk.refusedPhotos.has(photo)) continue;
      const c = await day.desk.capture(photo);
      if (c) return c;
    }
    return undefined;
  };
}

/** No consent: no photo is taken at all; the worker goes straight to the fallback and the supervisor attests. */
export async function noConsentVisit(day: Day, r: Registered): Promise<VisitRow> {
  const t0 = performance.now();
  const detail = await day.worker.api.getBeneficiary(r.id);
  if (detail.consentActive) throw new Error(`${r.member.name} was meant to have no consent`);
  const opened = await day.worker.api.openFallbackCase({ beneficiaryId: r.id, reason: 'no_consent', note: 'Guardian has not consented to face verification; no photo taken.' });
  day.log(`${r.member.name}: no consent → fallback case opened without a photo → supervisor attestation`);
  const att = await day.supervisor.attestFallback(opened.id, { reasonCode: 'known_to_supervisor', note: `${r.member.name} and ${r.member.guardian ? `her guardian ${r.member.guardian.name}` : 'her family'} are known to me; ration handed over.` });
  const row: VisitRow = { ...emptyRow(r, 'no_consent'), outcome: 'no_consent', method: att.method, delivered: att.delivered, distributionId: att.distributionId, fallbackCaseId: opened.id, ms: performance.now() - t0 };
  day.visits.push(row);
  return row;
}

export const describeVisit = (row: VisitRow) =>
  `${row.beneficiary}: ${row.path === 'no_consent' ? 'no consent, no photo' : `${row.path.replace('_', ' ')}${row.collectedBy ? ` (by ${row.collectedBy}'s face)` : ''} → ${row.outcome}${row.attempts > 1 ? ` ×${row.attempts}` : ''}`} → ${row.delivered ? `ration by ${row.method === 'otp' ? 'OTP' : row.method}` : `refused (${row.refusal})`}`;
