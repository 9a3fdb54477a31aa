import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  ChehraApiError,
  ChehraClient,
  createFacePipeline,
  WorkerSession,
  type BeneficiaryCategory,
  type ConsentInput,
  type FacePipeline,
  type FaceSuccess,
  type FallbackCase,
  type FallbackReason,
  type NewBeneficiary,
  type StageTimings,
  type Verification,
} from '../sdk/src/index.js';
import { buildApp } from '../service/src/app.js';
import type { Principal } from '../service/src/auth/principal.js';
import { mintToken } from '../service/src/auth/tokens.js';
import { bootstrap } from '../service/src/bootstrap.js';
import { loadConfig } from '../service/src/config.js';
import type { ServiceContext } from '../service/src/context.js';
import { DevOutbox } from '../service/src/sms/sender.js';

/*
 * One THR distribution day at one Anganwadi centre, played through the SDK against the service
 * with real faces from LFW: registration, consent, enrolment, genuine visits, an impostor, a
 * beneficiary without consent, and a second visit in the month. Returns a report; prints nothing
 * (progress and log lines go to the injected callbacks).
 *
 * LFW holds adults: a child's "face" here is an adult stand-in. Faces never leave this process
 * except as sealed envelopes; the report names image files, never pixels or embedding values.
 */

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A service that is already running: the demo talks to it with these tokens. */
export interface RemoteService {
  baseUrl: string;
  /** A worker of the AWC the day is played at. */
  workerToken: string;
  /** A supervisor whose sector holds that AWC (attestation). */
  supervisorToken: string;
  /** A district admin of the AWC's district, for the review queue (optional). */
  adminToken?: string;
  /** An auditor, to verify the audit chain (optional). */
  auditorToken?: string;
}

/** The service the demo started in this process, handed to `beforeClose`. */
export interface InProcessService {
  baseUrl: string;
  ctx: ServiceContext;
  /** The development SMS sender: where the OTP to the beneficiary's phone lands. */
  outbox: DevOutbox;
  dataDir: string;
  principals: typeof PRINCIPALS;
  token(p: Principal, ttlSeconds?: number): Promise<string>;
}

export interface ThrDayProgress {
  /** Steps done so far, of `total`. */
  done: number;
  total: number;
  /** What is happening now, for a progress bar. */
  label: string;
}

export interface ThrDayOptions {
  /** Folder of datasets holding `lfw-dev/`; default $CHEHRA_DATASETS, else ../shared/datasets next to the repository. */
  datasets?: string;
  /** Play against this running service; otherwise one is started in this process on a fresh temporary data directory. */
  service?: RemoteService;
  /** In-process: the data directory (kept afterwards). Default: a fresh temporary one, removed afterwards. */
  dataDir?: string;
  /** Pipeline threads; default min(2, CPUs). */
  threads?: number;
  /** Sent with every verification: the service counts failed face attempts per beneficiary and device. */
  deviceId?: string;
  /** Used for every HTTP request of the demo (tests wrap it to capture response bodies). */
  fetch?: typeof fetch;
  onProgress?: (p: ThrDayProgress) => void;
  /** Human-readable notes as the day goes (skipped photos, which fallback ran). */
  log?: (line: string) => void;
  /** In-process: every log line the service writes (pino JSON). Default: discarded. */
  serviceLog?: (line: string) => void;
  /** In-process: the service's log level. Default `info`. */
  serviceLogLevel?: string;
  /** In-process: called with the running service before it is stopped (tests inspect the database here). */
  beforeClose?: (service: InProcessService) => Promise<void>;
}

export type VisitPath = 'genuine' | 'impostor' | 'no_consent' | 'second_visit';

export interface VisitRow {
  beneficiary: string;
  beneficiaryId: string;
  category: BeneficiaryCategory;
  path: VisitPath;
  /** LFW files captured at this visit (`Person/Person_0002.jpg`); for the impostor, someone else's. */
  photos: string[];
  /** The service's last word on the face step: match, no_match, already_distributed, no_consent… */
  outcome: string;
  /** Face captures sent to the service at this visit. */
  attempts: number;
  score: number | null;
  threshold: number | null;
  /** How the ration went out; null when it did not (a refusal). */
  method: 'face' | 'otp' | 'attestation' | null;
  delivered: boolean;
  distributionId: string | null;
  fallbackCaseId: string | null;
  /** The service's refusal code, when the visit was refused. */
  refusal: string | null;
  /** The visit's wall time, including its face captures. */
  ms: number;
  /** Of which on-device pipeline time. */
  faceMs: number;
}

export interface BeneficiaryLine {
  name: string;
  beneficiaryId: string;
  category: BeneficiaryCategory;
  guardian: string | null;
  mobileMasked: string | null;
  consent: 'self' | 'guardian' | null;
  /** LFW person whose face stands in for this beneficiary; null when no face was enrolled. */
  person: string | null;
  enrolPhoto: string | null;
  enrolled: boolean;
  templateExpiresAt: string | null;
}

export interface SkippedPhoto {
  photo: string;
  /** pipeline: the SDK refused the capture (its reason); enrolment: the service refused it. */
  stage: 'pipeline' | 'enrolment';
  reason: string;
}

export interface QueueLine {
  caseId: string;
  beneficiary: string;
  reason: string;
  method: string | null;
  delivered: boolean;
  reviewStatus: string;
  openedAt: string;
}

export interface DemoReport {
  mode: 'in-process' | 'remote';
  baseUrl: string;
  awc: string;
  district: string;
  /** Distribution month, YYYY-MM. */
  month: string | null;
  model: { id: string; matchThreshold: number; livenessThreshold: number; threads: number };
  beneficiaries: BeneficiaryLine[];
  visits: VisitRow[];
  skipped: SkippedPhoto[];
  totals: {
    beneficiaries: number;
    enrolled: number;
    visits: number;
    rationsDelivered: number;
    byMethod: { face: number; otp: number; attestation: number };
    refused: number;
    fallbackCases: number;
  };
  /** This run's cases in the district admin's pending queue; null without an admin token. */
  queue: { pendingInDistrict: number; items: QueueLine[] } | null;
  audit: { ok: boolean; entries: number } | null;
  faceSteps: {
    /** Pipeline runs (JPEG → embedding), refused ones included. */
    captures: number;
    refused: number;
    pipelineMs: { total: number; mean: number; max: number };
    /** Mean ms per pipeline stage over the captures that reached it. */
    stagesMeanMs: Partial<Record<keyof StageTimings, number>>;
    /** Seal + HTTP round trip of enrolments and verifications. */
    sendMs: { count: number; mean: number; max: number };
  };
  notes: string[];
  startedAt: string;
  /** In-process: starting the service (embedded PGlite and its migrations); 0 for a running service. */
  serviceStartMs: number;
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------
// Who is at the centre today.

const AWC = 'AWC-001';
const DISTRICT = 'D1';
const STATE = 'S1';

/** In-process: the people whose tokens the demo mints (worker, her supervisor, the district admin, an auditor). */
export const PRINCIPALS: Readonly<Record<'worker' | 'supervisor' | 'admin' | 'auditor', Principal>> = {
  worker: { sub: 'aww-demo', role: 'worker', awc: AWC, district: DISTRICT, state: STATE },
  supervisor: { sub: 'sup-demo', role: 'supervisor', awcs: [AWC], district: DISTRICT, state: STATE },
  admin: { sub: 'dpo-demo', role: 'district_admin', district: DISTRICT, state: STATE },
  auditor: { sub: 'audit-demo', role: 'auditor' },
};

type Role = 'genuine' | 'impostor_target' | 'no_consent';

interface CastMember {
  name: string;
  category: BeneficiaryCategory;
  /** Age in months on the day, for a birth date. */
  ageMonths?: number;
  mobile?: string;
  guardian?: { name: string; relation: string };
  consent: 'self' | 'guardian' | null;
  role: Role;
}

/** Six beneficiaries, every category; numbers in a range no real subscriber holds here. */
const CAST: CastMember[] = [
  { name: 'Sunita Devi', category: 'pregnant', mobile: '+919000000101', consent: 'self', role: 'genuine' },
  { name: 'Meena Kumari', category: 'lactating', mobile: '+919000000102', consent: 'self', role: 'genuine' },
  { name: 'Aarav', category: 'child_3_6y', ageMonths: 50, mobile: '+919000000103', guardian: { name: 'Kavita', relation: 'mother' }, consent: 'guardian', role: 'genuine' },
  { name: 'Rekha Bai', category: 'pregnant', mobile: '+919000000105', consent: 'self', role: 'impostor_target' },
  { name: 'Pooja Kumari', category: 'adolescent_girl', ageMonths: 170, consent: 'self', role: 'genuine' },
  { name: 'Isha', category: 'child_6m_3y', ageMonths: 18, guardian: { name: 'Radha', relation: 'mother' }, consent: null, role: 'no_consent' },
];

const NOTICE: Omit<ConsentInput, 'givenBy'> = { purpose: 'face_verification', noticeVersion: 'v1.0', language: 'hi', method: 'thumb_impression' };

const CONSENTING = CAST.filter((c) => c.consent).length;
/** service + models, register ×6, consent ×5, enrol ×5, a visit each + the second visit, queue + audit. */
const TOTAL_STEPS = 2 + CAST.length + CONSENTING + CONSENTING + CAST.length + 1 + 2;

// ---------------------------------------------------------------------------------------------

interface Captured {
  photo: string;
  result: FaceSuccess;
  ms: number;
  /** performance.now() when the capture started. */
  takenAt: number;
}

interface Registered {
  member: CastMember;
  id: string;
  line: BeneficiaryLine;
  /** LFW person and their unused photos, once enrolled. */
  person?: { name: string; visit: Captured; rest: string[] };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function birthDate(months: number, now: Date): string {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
}

/** LFW people with at least two images, alphabetically; their files sorted. */
function lfwPeople(lfw: string): Array<{ name: string; photos: string[] }> {
  const root = join(lfw, 'images');
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ name: d.name, photos: readdirSync(join(root, d.name)).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f) => `${d.name}/${f}`) }))
    .filter((p) => p.photos.length >= 2)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The OTP in the SMS, as the beneficiary reads it off her phone. */
function otpFrom(text: string): string | undefined {
  return /\b(\d{6})\b/.exec(text)?.[1];
}

export function defaultDatasets(): string {
  return resolve(REPO_ROOT, process.env.CHEHRA_DATASETS ?? '../shared/datasets');
}

export async function runThrDay(opts: ThrDayOptions = {}): Promise<DemoReport> {
  const started = performance.now();
  const startedAt = new Date();
  const lfw = join(resolve(opts.datasets ?? defaultDatasets()), 'lfw-dev');
  if (!existsSync(join(lfw, 'images'))) throw new Error(`no LFW images at ${lfw}/images (set CHEHRA_DATASETS)`);
  const log = opts.log ?? (() => {});
  let done = 0;
  const step = (label: string) => opts.onProgress?.({ done: ++done, total: TOTAL_STEPS, label });
  const announce = (label: string) => opts.onProgress?.({ done, total: TOTAL_STEPS, label });
  const fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const notes: string[] = [];
  const skipped: SkippedPhoto[] = [];

  // --- the service -------------------------------------------------------------------------
  announce('starting the service');
  let local: (InProcessService & { stop(): Promise<void> }) | undefined;
  let tokens: { worker: string; supervisor: string; admin?: string; auditor?: string };
  let baseUrl: string;
  let serviceStartMs = 0;
  if (opts.service) {
    baseUrl = opts.service.baseUrl.replace(/\/+$/, '');
    tokens = {
      worker: opts.service.workerToken,
      supervisor: opts.service.supervisorToken,
      ...(opts.service.adminToken ? { admin: opts.service.adminToken } : {}),
      ...(opts.service.auditorToken ? { auditor: opts.service.auditorToken } : {}),
    };
    notes.push('remote service: the OTP SMS goes to the real sender and cannot be read here, so every fallback was completed by supervisor attestation');
  } else {
    const t = performance.now();
    local = await startService(opts);
    serviceStartMs = performance.now() - t;
    baseUrl = local.baseUrl;
    tokens = {
      worker: await local.token(PRINCIPALS.worker),
      supervisor: await local.token(PRINCIPALS.supervisor),
      admin: await local.token(PRINCIPALS.admin),
      auditor: await local.token(PRINCIPALS.auditor),
    };
  }

  let pipeline: FacePipeline | undefined;
  let session: WorkerSession | undefined;
  const held: Captured[] = [];
  try {
    const client = (token: string) => new ChehraClient({ baseUrl, token, fetch: fetchImpl });
    await client(tokens.worker).health();
    step(local ? `service on ${baseUrl} (embedded PGlite in a temporary directory)` : `service at ${baseUrl}`);

    // --- the device: pipeline and worker session ---------------------------------------------
    announce('loading the face models');
    const threads = opts.threads ?? Math.min(2, availableParallelism());
    pipeline = await createFacePipeline({ threads });
    session = await WorkerSession.open({ baseUrl, token: tokens.worker, fetch: fetchImpl });
    const worker = session;
    const face = pipeline;
    const supervisor = client(tokens.supervisor);
    step(`models loaded (${face.modelId}, ${threads} thread${threads > 1 ? 's' : ''})`);

    /** Photos the pipeline refused once: a retake picks another. */
    const refusedPhotos = new Set<string>();
    const stats = { captures: 0, refused: 0, pipeline: [] as number[], stages: new Map<string, number[]>(), send: [] as number[] };
    const capture = async (photo: string): Promise<Captured | undefined> => {
      const bytes = new Uint8Array(readFileSync(join(lfw, 'images', photo)));
      const timings: StageTimings = {};
      const t = performance.now();
      const result = await face.process(bytes, { timings });
      const ms = performance.now() - t;
      bytes.fill(0);
      stats.captures++;
      stats.pipeline.push(ms);
      for (const [k, v] of Object.entries(timings)) if (k !== 'total' && typeof v === 'number') stats.stages.set(k, [...(stats.stages.get(k) ?? []), v]);
      if (!result.ok) {
        stats.refused++;
        refusedPhotos.add(photo);
        skipped.push({ photo, stage: 'pipeline', reason: result.reason });
        log(`skipped ${photo}: the pipeline refused it (${result.reason})`);
        return undefined;
      }
      const c = { photo, result, ms, takenAt: t };
      held.push(c);
      return c;
    };
    const timedSend = async <T>(send: () => Promise<T>): Promise<T> => {
      const t = performance.now();
      try {
        return await send();
      } finally {
        stats.send.push(performance.now() - t);
      }
    };

    // --- registration and consent --------------------------------------------------------------
    const registered: Registered[] = [];
    let where: { awc: string; district: string } | undefined;
    for (const m of CAST) {
      announce(`registering ${m.name}`);
      const input: NewBeneficiary = {
        category: m.category,
        name: m.name,
        ...(m.ageMonths ? { birthDate: birthDate(m.ageMonths, startedAt) } : {}),
        ...(m.mobile ? { mobile: m.mobile } : {}),
        ...(m.guardian ? { guardian: m.guardian } : {}),
      };
      const b = await worker.api.createBeneficiary(input);
      where ??= { awc: b.awc, district: b.district };
      step(`registered ${m.name} (${m.category})`);
      if (m.consent) {
        await worker.api.recordConsent(b.id, { ...NOTICE, givenBy: m.consent });
        step(`consent recorded for ${m.name} (given by ${m.consent})`);
      } else {
        log(`${m.name}: ${m.guardian ? 'the guardian' : 'she'} did not consent to face verification — no photo will be taken`);
      }
      registered.push({
        member: m,
        id: b.id,
        line: {
          name: m.name,
          beneficiaryId: b.id,
          category: m.category,
          guardian: b.guardian ? `${b.guardian.name} (${b.guardian.relation ?? 'guardian'})` : null,
          mobileMasked: b.mobileMasked,
          consent: m.consent,
          person: null,
          enrolPhoto: null,
          enrolled: false,
          templateExpiresAt: null,
        },
      });
    }

    // --- enrolment: the first LFW people whose enrolment and visit photos both pass ------------
    const people = lfwPeople(lfw);
    let next = 0;
    const takePerson = async (): Promise<{ name: string; enrol: Captured; visit: Captured; rest: string[] }> => {
      while (next < people.length) {
        const p = people[next++]!;
        const passing: Captured[] = [];
        const tried: string[] = [];
        for (const photo of p.photos) {
          tried.push(photo);
          const c = await capture(photo);
          if (c) passing.push(c);
          if (passing.length === 2) break;
        }
        if (passing.length === 2) return { name: p.name, enrol: passing[0]!, visit: passing[1]!, rest: p.photos.filter((f) => !tried.includes(f)) };
        for (const c of passing) c.result.embedding.fill(0);
        log(`skipped ${p.name}: fewer than two photos pass the pipeline's gates`);
      }
      throw new Error('lfw-dev ran out of people whose photos pass the pipeline');
    };

    for (const r of registered.filter((x) => x.member.consent)) {
      announce(`enrolling ${r.member.name}`);
      for (;;) {
        const p = await takePerson();
        try {
          const e = await timedSend(() => worker.enrol(r.id, p.enrol.result));
          r.person = { name: p.name, visit: p.visit, rest: p.rest };
          Object.assign(r.line, { person: p.name, enrolPhoto: p.enrol.photo, enrolled: true, templateExpiresAt: e.expiresAt });
          break;
        } catch (err) {
          if (!(err instanceof ChehraApiError) || err.code !== 'possible_duplicate') throw err;
          // On a long-running service an earlier demo may have enrolled this face in the district.
          skipped.push({ photo: p.enrol.photo, stage: 'enrolment', reason: 'possible_duplicate' });
          log(`skipped ${p.name}: the service flagged the face as already enrolled in the district (an earlier run?)`);
          p.visit.result.embedding.fill(0);
        }
      }
      step(`enrolled ${r.member.name} (photo ${r.line.enrolPhoto})`);
    }
    const strangerPerson = people[next++];
    if (!strangerPerson) throw new Error('lfw-dev has no one left to play the impostor');

    // --- the distribution day ------------------------------------------------------------------
    const visits: VisitRow[] = [];
    let month: string | null = null;
    const byName = (role: Role, i = 0) => registered.filter((r) => r.member.role === role)[i]!;
    const deviceId = opts.deviceId ?? 'demo-phone-1';

    /** Completes an open case: OTP to the registered mobile when the SMS can be read here, else attestation. */
    const completeFallback = async (r: Registered, caseId: string, attestationNote: string): Promise<FallbackCase> => {
      if (local && r.member.mobile) {
        const sent = await worker.api.sendFallbackOtp(caseId);
        const sms = local.outbox.latestTo(r.member.mobile);
        const otp = sms ? otpFrom(sms.text) : undefined;
        if (!otp) throw new Error('the OTP SMS did not arrive in the development outbox');
        log(`${r.member.name}: OTP sent to ${sent.sentTo}; she reads it out from her phone`);
        return worker.api.verifyFallbackOtp(caseId, otp);
      }
      log(`${r.member.name}: supervisor attests (${local ? 'no registered mobile' : 'remote service: the OTP SMS cannot be read here'})`);
      return supervisor.attestFallback(caseId, { reasonCode: 'known_to_supervisor', note: attestationNote });
    };

    /**
     * Face captures until the ration is recorded, the service refuses, or a fallback case is
     * open (the service opens one after the allowed attempts); then the fallback completes it.
     */
    const faceVisit = async (r: Registered, path: VisitPath, captures: () => Promise<Captured | undefined>, attestationNote: string): Promise<VisitRow> => {
      const t0 = performance.now();
      const row: VisitRow = {
        beneficiary: r.member.name,
        beneficiaryId: r.id,
        category: r.member.category,
        path,
        photos: [],
        outcome: 'no_capture',
        attempts: 0,
        score: null,
        threshold: null,
        method: null,
        delivered: false,
        distributionId: null,
        fallbackCaseId: null,
        refusal: null,
        ms: 0,
        faceMs: 0,
      };
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
          v = await timedSend(() => worker.verify(r.id, c.result, { deviceId }));
        } catch (err) {
          if (!(err instanceof ChehraApiError) || err.status !== 409 || typeof err.details.outcome !== 'string') throw err;
          v = err.details as unknown as Verification;
          row.refusal = err.code;
        }
        month = v.month.slice(0, 7);
        lastVerification = v.verificationId;
        Object.assign(row, { outcome: v.outcome, score: v.score, threshold: v.threshold });
        if (v.distributionId) {
          Object.assign(row, { method: 'face', delivered: true, distributionId: v.distributionId });
          break;
        }
        if (v.fallback?.fallbackCaseId) {
          row.fallbackCaseId = v.fallback.fallbackCaseId;
          break;
        }
        if (!v.fallback) break; // refused without a fallback: already_distributed
        log(`${r.member.name}: ${v.outcome} (score ${v.score ?? '—'}), ${v.fallback.attemptsLeft ?? 0} attempt(s) left`);
      }
      if (!row.delivered && row.refusal !== 'already_distributed') {
        if (!row.fallbackCaseId) {
          // No case yet (no usable capture, or the attempts ran out of photos): the worker opens one.
          const reason: FallbackReason = row.attempts === 0 ? 'poor_quality' : row.outcome === 'liveness_failed' ? 'liveness_failed' : 'no_match';
          const opened = await worker.api.openFallbackCase({ beneficiaryId: r.id, reason, ...(lastVerification ? { verificationId: lastVerification } : {}) });
          row.fallbackCaseId = opened.id;
        }
        const done = await completeFallback(r, row.fallbackCaseId, attestationNote);
        Object.assign(row, { method: done.method, delivered: done.delivered, distributionId: done.distributionId });
      }
      row.ms = performance.now() - t0 + capturedBefore;
      visits.push(row);
      return row;
    };

    /** The visit capture chosen at enrolment, then retakes from the person's other photos. */
    const ownPhotos = (r: Registered) => {
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
          const c = await capture(rest.shift()!);
          if (c) return c;
        }
        return undefined;
      };
    };

    const describe = (row: VisitRow) =>
      `${row.beneficiary}: ${row.path === 'no_consent' ? 'no consent, no photo' : `${row.path.replace('_', ' ')} → ${row.outcome}${row.attempts > 1 ? ` ×${row.attempts}` : ''}${row.score !== null ? ` ${row.score}/${row.threshold}` : ''}`} → ${row.delivered ? `ration by ${row.method === 'otp' ? 'OTP' : row.method}` : `refused (${row.refusal})`}`;

    for (const r of registered) {
      if (r.member.role === 'genuine') {
        announce(`visit: ${r.member.name}`);
        step(describe(await faceVisit(r, 'genuine', ownPhotos(r), `${r.member.name} known to me; face did not match at the visit`)));
      } else if (r.member.role === 'impostor_target') {
        // Someone else stands in front of the camera for Rekha: a different LFW person, retaken until the attempts run out.
        announce(`visit: ${r.member.name} (impostor)`);
        const photos = [...strangerPerson.photos];
        let taken = 0;
        const strangerShots = async () => {
          while (taken < 3 * photos.length) {
            const photo = photos[taken++ % photos.length]!;
            if (refusedPhotos.has(photo)) continue;
            const c = await capture(photo);
            if (c) return c;
          }
          return undefined;
        };
        const row = await faceVisit(r, 'impostor', strangerShots, `${r.member.name}'s registered mobile not readable here; identity confirmed by supervisor`);
        step(describe(row));
      } else {
        // No consent: no photo is taken at all; the worker goes straight to the fallback.
        announce(`visit: ${r.member.name} (no consent)`);
        const t0 = performance.now();
        const detail = await worker.api.getBeneficiary(r.id);
        if (detail.consentActive) throw new Error(`${r.member.name} was meant to have no consent`);
        const opened = await worker.api.openFallbackCase({ beneficiaryId: r.id, reason: 'no_consent', note: 'Guardian has not consented to face verification; no photo taken.' });
        log(`${r.member.name}: no consent → fallback case opened without a photo → supervisor attestation`);
        const att = await supervisor.attestFallback(opened.id, { reasonCode: 'known_to_supervisor', note: `${r.member.name} and ${r.member.guardian ? `her guardian ${r.member.guardian.name}` : 'her family'} are known to me; ration handed over.` });
        const row: VisitRow = {
          beneficiary: r.member.name,
          beneficiaryId: r.id,
          category: r.member.category,
          path: 'no_consent',
          photos: [],
          outcome: 'no_consent',
          attempts: 0,
          score: null,
          threshold: null,
          method: att.method,
          delivered: att.delivered,
          distributionId: att.distributionId,
          fallbackCaseId: opened.id,
          refusal: null,
          ms: performance.now() - t0,
          faceMs: 0,
        };
        visits.push(row);
        step(describe(row));
      }
    }

    // Later in the day the first beneficiary comes again: the month's ration is already given.
    const again = byName('genuine');
    announce(`visit: ${again.member.name} again`);
    const usedAgain = new Set([again.line.enrolPhoto, ...visits.filter((v) => v.beneficiaryId === again.id).flatMap((v) => v.photos)]);
    const againPhotos = [...again.person!.rest.filter((p) => !usedAgain.has(p)), ...visits.find((v) => v.beneficiaryId === again.id)!.photos];
    const secondShots = async () => {
      while (againPhotos.length) {
        const c = await capture(againPhotos.shift()!);
        if (c) return c;
      }
      return undefined;
    };
    step(describe(await faceVisit(again, 'second_visit', secondShots, 'not used')));

    // --- the review queue and the audit chain ----------------------------------------------------
    announce('reading the review queue');
    let queue: DemoReport['queue'] = null;
    if (tokens.admin) {
      const ours = new Map(registered.map((r) => [r.id, r.member.name]));
      const pending = await client(tokens.admin).reviewQueue({ status: 'pending', awc: where!.awc, limit: 500 });
      queue = {
        pendingInDistrict: (await client(tokens.admin).reviewQueue({ status: 'pending', limit: 1 })).total,
        items: pending.items
          .filter((c) => ours.has(c.beneficiaryId))
          .map((c) => ({ caseId: c.id, beneficiary: c.beneficiaryName, reason: c.reason, method: c.method, delivered: c.delivered, reviewStatus: c.reviewStatus, openedAt: c.openedAt })),
      };
    } else {
      notes.push('no district admin token: the review queue was not read');
    }
    step('review queue read');
    let audit: DemoReport['audit'] = null;
    if (tokens.auditor) {
      const res = await fetchImpl(`${baseUrl}/v1/audit/verify`, { headers: { authorization: `Bearer ${tokens.auditor}`, accept: 'application/json' } });
      const body = (await res.json()) as { ok?: unknown; entries?: unknown };
      if (!res.ok) throw new Error(`GET /v1/audit/verify: HTTP ${res.status}`);
      audit = { ok: body.ok === true, entries: Number(body.entries) };
    } else {
      notes.push('no auditor token: the audit chain was not verified');
    }
    step('audit chain checked');

    const delivered = visits.filter((v) => v.delivered);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const report: DemoReport = {
      mode: local ? 'in-process' : 'remote',
      baseUrl,
      ...where!,
      month,
      model: { id: face.modelId, matchThreshold: face.matchThreshold, livenessThreshold: face.livenessThreshold, threads },
      beneficiaries: registered.map((r) => r.line),
      visits,
      skipped,
      totals: {
        beneficiaries: registered.length,
        enrolled: registered.filter((r) => r.line.enrolled).length,
        visits: visits.length,
        rationsDelivered: delivered.length,
        byMethod: {
          face: delivered.filter((v) => v.method === 'face').length,
          otp: delivered.filter((v) => v.method === 'otp').length,
          attestation: delivered.filter((v) => v.method === 'attestation').length,
        },
        refused: visits.filter((v) => !v.delivered).length,
        fallbackCases: new Set(visits.map((v) => v.fallbackCaseId).filter(Boolean)).size,
      },
      queue,
      audit,
      faceSteps: {
        captures: stats.captures,
        refused: stats.refused,
        pipelineMs: { total: round(stats.pipeline.reduce((a, b) => a + b, 0)), mean: round(mean(stats.pipeline)), max: round(Math.max(0, ...stats.pipeline)) },
        stagesMeanMs: Object.fromEntries([...stats.stages].map(([k, v]) => [k, round(mean(v))])),
        sendMs: { count: stats.send.length, mean: round(mean(stats.send)), max: round(Math.max(0, ...stats.send)) },
      },
      notes,
      startedAt: startedAt.toISOString(),
      serviceStartMs: Math.round(serviceStartMs),
      durationMs: 0,
    };
    if (local && opts.beforeClose) await opts.beforeClose(local);
    report.durationMs = Math.round(performance.now() - started);
    return report;
  } finally {
    // Nothing biometric outlives the run: captures not sealed yet are zeroed here.
    for (const c of held) c.result.embedding.fill(0);
    session?.logout();
    await pipeline?.close();
    await local?.stop();
  }
}

/** The service in this process, on a free port and a fresh data directory, as `npm start` would run it. */
async function startService(opts: ThrDayOptions): Promise<InProcessService & { stop(): Promise<void> }> {
  const temporary = !opts.dataDir;
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : mkdtempSync(join(tmpdir(), 'chehra-demo-'));
  // Only what the demo decides: an inherited DATABASE_URL must not point the demo at a real database.
  const config = loadConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: opts.serviceLogLevel ?? 'info', ...(process.env.MODELS_MANIFEST ? { MODELS_MANIFEST: process.env.MODELS_MANIFEST } : {}) });
  const { ctx } = await bootstrap(config);
  // The demo plays the day with development tokens minted in-process (no sign-in step on stage).
  ctx.devTokens = true;
  if (!(ctx.sms instanceof DevOutbox)) throw new Error('the in-process service must use the development SMS outbox');
  const outbox = ctx.sms;
  let pending = '';
  const sink = opts.serviceLog;
  const stream = new Writable({
    write(chunk, _enc, cb) {
      if (sink) {
        pending += String(chunk);
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const l of lines) if (l) sink(l);
      }
      cb();
    },
  });
  const app = await buildApp(ctx, { logger: { level: config.logLevel, stream } });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await ctx.db.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  return {
    baseUrl: `http://${config.host}:${port}`,
    ctx,
    outbox,
    dataDir,
    principals: PRINCIPALS,
    token: (p, ttl = 3600) => mintToken(ctx.signingKeys.current, p, ttl),
    async stop() {
      await app.close();
      await ctx.db.close();
      if (pending && sink) sink(pending);
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
