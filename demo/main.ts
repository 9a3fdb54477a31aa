import cliProgress from 'cli-progress';
import { runThrDay, type DemoReport, type RemoteService, type VisitRow } from './thr-day.js';

/*
 * npm run demo — one THR distribution day at one AWC with real LFW faces.
 *
 *   npm run demo                 starts the service in this process on a temporary data directory
 *   npm run demo -- --json       prints the report as JSON instead of tables
 *
 * Against a running service instead (the OTP SMS cannot be read then: fallbacks use attestation):
 *   CHEHRA_URL=http://127.0.0.1:8080 CHEHRA_WORKER_TOKEN=… CHEHRA_SUPERVISOR_TOKEN=… \
 *   [CHEHRA_ADMIN_TOKEN=…] [CHEHRA_AUDITOR_TOKEN=…] npm run demo
 * (CHEHRA_TOKEN is accepted for the worker token.) Faces: $CHEHRA_DATASETS/lfw-dev.
 */

const args = process.argv.slice(2);
const json = args.includes('--json');
const threadsArg = args.find((a) => a.startsWith('--threads='));
for (const a of args) {
  if (a !== '--json' && !a.startsWith('--threads=')) {
    process.stderr.write(`unknown argument ${a}\nusage: npm run demo [-- --json] [--threads=N]\n`);
    process.exit(2);
  }
}

function remoteFromEnv(env: NodeJS.ProcessEnv): RemoteService | undefined {
  if (!env.CHEHRA_URL) return undefined;
  const workerToken = env.CHEHRA_WORKER_TOKEN ?? env.CHEHRA_TOKEN;
  const supervisorToken = env.CHEHRA_SUPERVISOR_TOKEN;
  if (!workerToken || !supervisorToken) {
    process.stderr.write('CHEHRA_URL is set: also set CHEHRA_WORKER_TOKEN (or CHEHRA_TOKEN) and CHEHRA_SUPERVISOR_TOKEN (npx chehra-token …, see README)\n');
    process.exit(2);
  }
  return {
    baseUrl: env.CHEHRA_URL,
    workerToken,
    supervisorToken,
    ...(env.CHEHRA_ADMIN_TOKEN ? { adminToken: env.CHEHRA_ADMIN_TOKEN } : {}),
    ...(env.CHEHRA_AUDITOR_TOKEN ? { auditorToken: env.CHEHRA_AUDITOR_TOKEN } : {}),
  };
}

// ---------------------------------------------------------------------------------------------

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function outcomeOf(v: VisitRow): string {
  if (v.path === 'no_consent') return 'no consent: no photo';
  return v.attempts > 1 ? `${v.outcome} ×${v.attempts}` : v.outcome;
}

function methodOf(v: VisitRow): string {
  if (!v.delivered) return 'refused';
  return v.method === 'otp' ? 'OTP' : v.method ?? '—';
}

/** `A/A_0003.jpg, A/A_0005.jpg` → `A 0003, 0005`. */
function photosOf(photos: string[]): string {
  if (!photos.length) return '—';
  const byPerson = new Map<string, string[]>();
  for (const p of photos) {
    const [person = p, file = p] = p.split('/');
    const n = /_(\d+)\.jpe?g$/i.exec(file)?.[1] ?? file;
    byPerson.set(person, [...(byPerson.get(person) ?? []), n]);
  }
  return [...byPerson].map(([person, ns]) => `${person} ${ns.join(', ')}`).join('; ');
}

const PATHS: Record<VisitRow['path'], string> = { genuine: 'genuine', impostor: 'impostor', no_consent: 'no consent', second_visit: 'second visit', guardian: 'guardian' };

function render(r: DemoReport): string {
  const out: string[] = [];
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  out.push('');
  out.push(`Chehra — one THR distribution day at ${r.awc} (district ${r.district}), month ${r.month ?? '—'}`);
  out.push(`service: ${r.mode === 'in-process' ? `in this process at ${r.baseUrl}, embedded PGlite on a temporary data directory` : `running service at ${r.baseUrl}`}`);
  out.push(`model:   ${r.model.id}, match threshold ${r.model.matchThreshold}, liveness threshold ${r.model.livenessThreshold}, ${r.model.threads} thread(s)`);
  out.push('');
  out.push('Beneficiaries (LFW adults stand in for every face; children under three are verified by their guardian\'s face)');
  out.push(
    table(
      ['name', 'category', 'guardian', 'mobile', 'consent', 'enrolled face (LFW photos, one template)'],
      r.beneficiaries.map((b) => [b.name, b.category, b.guardian ?? '—', b.mobileMasked ?? '—', b.consent ?? 'not given', (b.enrolPhotos.length ? photosOf(b.enrolPhotos) : null) ?? (b.consent ? (b.category === 'child_6m_3y' ? "— (under three: her guardian's face)" : 'not enrolled') : '— (no consent: no photo)')]),
    ),
  );
  out.push('');
  out.push('Visits');
  out.push(
    table(
      ['beneficiary', 'category', 'path', 'outcome', 'method', 'time', 'photo(s) at the visit'],
      r.visits.map((v) => [
        v.beneficiary,
        v.category,
        v.collectedBy ? `${PATHS[v.path]}: ${v.collectedBy}` : PATHS[v.path],
        outcomeOf(v),
        methodOf(v),
        `${Math.round(v.ms)} ms`,
        photosOf(v.photos),
      ]),
    ),
  );
  const t = r.totals;
  out.push('');
  out.push(
    `Totals:  ${t.beneficiaries} beneficiaries, ${t.enrolled} enrolled; ${t.visits} visits → ${t.rationsDelivered} rations delivered ` +
      `(${t.byMethod.face} by face, ${t.byMethod.otp} by OTP, ${t.byMethod.attestation} by attestation), ${t.refused} refused; ${t.fallbackCases} fallback case(s)`,
  );
  if (r.queue) {
    out.push(`Review queue (district admin, pending): ${r.queue.items.length} case(s) from this day, ${r.queue.pendingInDistrict} pending in the district`);
    for (const q of r.queue.items) out.push(`  - ${q.beneficiary}: ${q.reason}, delivered by ${q.method === 'otp' ? 'OTP' : q.method ?? '—'}, ${q.reviewStatus} (case ${q.caseId})`);
  }
  if (r.audit) out.push(`Audit chain: ${r.audit.ok ? 'verified' : 'BROKEN'}, ${r.audit.entries} entries`);
  const f = r.faceSteps;
  const stages = Object.entries(f.stagesMeanMs)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out.push(
    `Face steps: ${f.captures} captures (${f.refused} refused by the pipeline), on-device pipeline ${f.pipelineMs.mean} ms mean, ${f.pipelineMs.max} ms max, ${secs(f.pipelineMs.total)} in all`,
  );
  out.push(`            stage means (ms): ${stages}`);
  out.push(`            seal + send to the service: ${f.sendMs.count} requests, ${f.sendMs.mean} ms mean, ${f.sendMs.max} ms max`);
  if (r.skipped.length) {
    out.push(`Skipped photos (${r.skipped.length}):`);
    for (const s of r.skipped) out.push(`  - ${s.photo}: ${s.stage === 'pipeline' ? 'the pipeline refused it' : 'the service refused it'} (${s.reason})`);
  }
  for (const n of r.notes) out.push(`Note: ${n}`);
  out.push(`Done in ${secs(r.durationMs)}${r.serviceStartMs ? ` (of which ${secs(r.serviceStartMs)} starting the service: embedded PGlite and its migrations)` : ''}.`);
  out.push('');
  return out.join('\n');
}

async function main(): Promise<void> {
  // Progress on stderr: a bar on a terminal, one line per step otherwise.
  const tty = Boolean(process.stderr.isTTY);
  const multibar = tty ? new cliProgress.MultiBar({ format: 'THR day {bar} {value}/{total} | {label}', hideCursor: true, clearOnComplete: true, stopOnComplete: false }, cliProgress.Presets.shades_classic) : undefined;
  let bar: cliProgress.SingleBar | undefined;
  let shown = 0;

  const service = remoteFromEnv(process.env);
  let report: DemoReport;
  try {
    report = await runThrDay({
      ...(service ? { service } : {}),
      ...(threadsArg ? { threads: Number(threadsArg.split('=')[1]) } : {}),
      onProgress: ({ done, total, label }) => {
        if (multibar) {
          bar ??= multibar.create(total, 0, { label });
          bar.update(done, { label: label.length > 70 ? `${label.slice(0, 69)}…` : label });
        } else if (done > shown) {
          shown = done;
          process.stderr.write(`[${String(done).padStart(2)}/${total}] ${label}\n`);
        }
      },
      log: (line) => (multibar ? multibar.log(`  ${line}\n`) : process.stderr.write(`        ${line}\n`)),
    });
  } catch (err) {
    multibar?.stop();
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  multibar?.stop();

  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(render(report));
  }
}

await main();
