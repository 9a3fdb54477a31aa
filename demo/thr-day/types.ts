import type { BeneficiaryCategory, StageTimings } from '../../sdk/src/index.js';
import type { Principal } from '../../service/src/auth/principal.js';
import type { ServiceContext } from '../../service/src/context.js';
import type { DevOutbox } from '../../service/src/sms/sender.js';

// What the THR day takes and what it reports: the public shape of demo/thr-day.ts.

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
  principals: Readonly<Record<'worker' | 'supervisor' | 'admin' | 'auditor', Principal>>;
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

/** guardian: a child's ration collected by her guardian's face (one capture for all her children). */
export type VisitPath = 'genuine' | 'impostor' | 'no_consent' | 'second_visit' | 'guardian';

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
  /** Whose face was verified when it was not the beneficiary's own: the guardian's name. */
  collectedBy?: string;
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
  /** The photos of the enrolment's captures (2–3, agreeing; the template is their mean with the flip); empty when none. */
  enrolPhotos: string[];
  /** Captures the service combined into the template; null when no face was enrolled. */
  enrolCaptures: number | null;
  enrolled: boolean;
  templateExpiresAt: string | null;
}

export interface SkippedPhoto {
  photo: string;
  /** pipeline: the SDK refused the capture (its reason); enrolment: the guide or the service refused it. */
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
