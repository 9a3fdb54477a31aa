import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { ChehraApiError, ChehraClient, createFacePipeline, WorkerSession, type FacePipeline, type NewBeneficiary } from '../sdk/src/index.js';
import { captureDesk, type CaptureDesk } from './thr-day/captures.js';
import { birthDate, CAST, NOTICE, PRINCIPALS, TOTAL_STEPS } from './thr-day/cast.js';
import { guardianPhotos, guardianVisit, linkGuardian } from './thr-day/guardian.js';
import { startService } from './thr-day/service.js';
import { faceSteps, readQueue, totals, verifyAudit } from './thr-day/summary.js';
import type { DemoReport, InProcessService, SkippedPhoto, ThrDayOptions } from './thr-day/types.js';
import { datasetsRoot } from '../testkit/datasets.js';
import { byRole, describeVisit, faceVisit, noConsentVisit, ownPhotos, strangerShots, type Day, type Registered } from './thr-day/visits.js';

export type * from './thr-day/types.js';
export { PRINCIPALS } from './thr-day/cast.js';

/*
 * One THR distribution day at one Anganwadi centre, played through the SDK against the service
 * with real faces from LFW: registration, consent, enrolment, genuine visits, an impostor, a
 * beneficiary without consent, a mother collecting for her two infants with one capture of her
 * face, and a second visit in the month. Returns a report; prints nothing (progress and log lines
 * go to the injected callbacks). The steps live in demo/thr-day/: who is there (cast), the camera
 * (captures), the visits, the guardian visit, the service started in-process, the summary.
 *
 * LFW holds adults: a child's "face" here is an adult stand-in. Faces never leave this process
 * except as sealed envelopes; the report names image files, never pixels or embedding values.
 */

export async function runThrDay(opts: ThrDayOptions = {}): Promise<DemoReport> {
  const started = performance.now();
  const startedAt = new Date();
  const lfw = join(resolve(opts.datasets ?? datasetsRoot()), 'lfw-dev');
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
  let desk: CaptureDesk | undefined;
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
    desk = captureDesk(face, lfw, skipped, log);
    const day: Day = { worker, supervisor: client(tokens.supervisor), local, desk, deviceId: opts.deviceId ?? 'demo-phone-1', log, visits: [], month: null };
    step(`models loaded (${face.modelId}, ${threads} thread${threads > 1 ? 's' : ''})`);

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
        line: { name: m.name, beneficiaryId: b.id, category: m.category, guardian: b.guardian ? `${b.guardian.name} (${b.guardian.relation ?? 'guardian'})` : null, mobileMasked: b.mobileMasked, consent: m.consent, person: null, enrolPhotos: [], enrolCaptures: null, enrolled: false, templateExpiresAt: null },
      });
    }

    // --- enrolment: 2–3 agreeing captures of the first LFW people with enough usable photos ----
    // Children under three are not enrolled by their own face: their guardian's face collects.
    for (const r of registered.filter((x) => x.member.consent && x.member.role !== 'guardian_child')) {
      announce(`enrolling ${r.member.name}`);
      for (;;) {
        const p = await desk.takePerson();
        try {
          const e = await desk.timedSend(() => worker.enrolCaptures(r.id, p.enrol));
          r.person = { name: p.name, visit: p.visit, rest: p.rest };
          Object.assign(r.line, { person: p.name, enrolPhotos: p.enrolPhotos, enrolCaptures: e.captures, enrolled: true, templateExpiresAt: e.expiresAt });
          break;
        } catch (err) {
          if (!(err instanceof ChehraApiError) || err.code !== 'possible_duplicate') throw err;
          // On a long-running service an earlier demo may have enrolled this face in the district.
          skipped.push({ photo: p.enrolPhotos[0]!, stage: 'enrolment', reason: 'possible_duplicate' });
          log(`skipped ${p.name}: the service flagged the face as already enrolled in the district (an earlier run?)`);
          p.visit.result.embedding.fill(0);
        }
      }
      step(`enrolled ${r.member.name} from ${r.line.enrolCaptures} captures (photos ${r.line.enrolPhotos.join(', ')})`);
    }
    const byName = (name: string) => registered.find((x) => x.member.name === name)!;
    for (const r of registered.filter((x) => x.member.role === 'guardian_child')) {
      await linkGuardian(day, r, byName(r.member.collectedBy!));
      step(`${r.member.collectedBy} linked as ${r.member.name}'s guardian`);
    }
    const stranger = desk.nextStranger();
    if (!stranger) throw new Error('lfw-dev has no one left to play the impostor');

    // --- the distribution day ------------------------------------------------------------------
    for (const r of registered) {
      announce(`visit: ${r.member.name}`);
      if (r.member.role === 'genuine') step(describeVisit(await faceVisit(day, r, 'genuine', ownPhotos(day, r), `${r.member.name} known to me; face did not match at the visit`)));
      else if (r.member.role === 'impostor_target') step(describeVisit(await faceVisit(day, r, 'impostor', strangerShots(day, stranger), `${r.member.name}'s registered mobile not readable here; identity confirmed by supervisor`)));
      else if (r.member.role === 'no_consent') step(describeVisit(await noConsentVisit(day, r)));
    }
    // The guardian comes with all the children she collects for: one capture of her face.
    const guardians = [...new Set(registered.filter((x) => x.member.role === 'guardian_child').map((x) => x.member.collectedBy!))];
    for (const name of guardians) {
      const g = byName(name);
      announce(`visit: ${name} for her children`);
      const used = new Set([...g.line.enrolPhotos, ...day.visits.filter((v) => v.beneficiaryId === g.id).flatMap((v) => v.photos)]);
      const rows = await guardianVisit(day, g, registered.filter((x) => x.member.collectedBy === name), guardianPhotos(day, g, used));
      step(rows.map(describeVisit).join('; '));
    }

    // Later in the day the first beneficiary comes again: the month's ration is already given.
    const again = byRole(registered, 'genuine');
    announce(`visit: ${again.member.name} again`);
    const usedAgain = new Set([...again.line.enrolPhotos, ...day.visits.filter((v) => v.beneficiaryId === again.id).flatMap((v) => v.photos)]);
    const againPhotos = [...again.person!.rest.filter((p) => !usedAgain.has(p)), ...day.visits.find((v) => v.beneficiaryId === again.id)!.photos];
    const secondShots = async () => {
      while (againPhotos.length) {
        const c = await desk!.capture(againPhotos.shift()!);
        if (c) return c;
      }
      return undefined;
    };
    step(describeVisit(await faceVisit(day, again, 'second_visit', secondShots, 'not used')));

    // --- the review queue and the audit chain ----------------------------------------------------
    announce('reading the review queue');
    let queue: DemoReport['queue'] = null;
    if (tokens.admin) queue = await readQueue(client(tokens.admin), where!.awc, registered);
    else notes.push('no district admin token: the review queue was not read');
    step('review queue read');
    let audit: DemoReport['audit'] = null;
    if (tokens.auditor) audit = await verifyAudit(fetchImpl, baseUrl, tokens.auditor);
    else notes.push('no auditor token: the audit chain was not verified');
    step('audit chain checked');

    const report: DemoReport = {
      mode: local ? 'in-process' : 'remote',
      baseUrl,
      ...where!,
      month: day.month,
      model: { id: face.modelId, matchThreshold: face.matchThreshold, livenessThreshold: face.livenessThreshold, threads },
      beneficiaries: registered.map((r) => r.line),
      visits: day.visits,
      skipped,
      totals: totals(registered, day.visits),
      queue,
      audit,
      faceSteps: faceSteps(desk.stats),
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
    desk?.wipe();
    session?.logout();
    await pipeline?.close();
    await local?.stop();
  }
}
