/**
 * benchmarks/REPORT.md from every benchmarks/results/*.json present (and the SVG plots next to
 * them), and the README's benchmark block between <!-- bench:start --> and <!-- bench:end -->.
 *
 *   npm run bench:report
 *
 * Each section says what one figure is: a median over repeated runs with its range, or — where a
 * benchmark runs once — a median over samples of that one run, said so. Ratios are only ever
 * between figures measured in the same run.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from '../testkit/stats.js';
import { barPlotSvg, xyPlotSvg, type XySeries } from './lib/svg-plot.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RESULTS = join(ROOT, 'benchmarks/results');
const REPORT = join(ROOT, 'benchmarks/REPORT.md');
const README = join(ROOT, 'README.md');

type Json = any;

const n = (x: unknown, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? String(+x.toFixed(d)) : '—');
const pct = (x: unknown, d = 1) => (typeof x === 'number' && Number.isFinite(x) ? `${+(x * 100).toFixed(d)} %` : '—');
const range = (s: Json, d = 1) => (s && typeof s.median === 'number' ? `${n(s.median, d)} [${n(s.min, d)}–${n(s.max, d)}]` : '—');
const table = (head: string[], rows: (string | number)[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const med = (xs: number[]) => median(xs.filter(Number.isFinite));
const spreadOf = (xs: number[]) => ({ median: med(xs), min: Math.min(...xs), max: Math.max(...xs) });

/** Provenance, whichever of the two metadata shapes the benchmark uses (lib/machine.ts or lib/run-info.ts). */
function provenance(r: Json): { date: string; commit: string; node: string; cpu: string; load: string } {
  const m = r.machine ?? {};
  const date = r.date ?? m.date ?? '—';
  const git = r.git ?? m.git ?? {};
  const commit = git.commit ? `${String(git.commit).slice(0, 8)}${git.dirty || git.dirtyTrackedFiles ? ' (dirty)' : ''}` : '—';
  const node = r.node ?? m.node ?? '—';
  const cpu = `${m.cpuModel ?? m.cpu ?? '?'} × ${m.cores ?? m.logicalCores ?? '?'}`;
  const l0 = m.loadAverage1m ?? r.loadAverage1mAtStart ?? r.loadAverage1m;
  const l1 = m.loadAverage1mAtEnd ?? r.loadAverage1mAtEnd;
  const load = l0 === undefined ? '—' : `${n(l0, 2)}${l1 !== undefined ? ` → ${n(l1, 2)}` : ''}`;
  return { date: String(date).slice(0, 16).replace('T', ' '), commit, node, cpu, load };
}

function load(name: string): Json | undefined {
  const p = join(RESULTS, `${name}.json`);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch {
    return undefined;
  }
}

function svg(file: string, content: string): string {
  writeFileSync(join(RESULTS, file), content);
  return `results/${file}`;
}

/** README rows: [figure, value, how measured]. */
const headline: [string, string, string][] = [];

// ---------------------------------------------------------------- sections

function accuracySection(r: Json): string {
  const out = ['## Accuracy (`npm run bench:accuracy`)', ''];
  out.push(`The SDK pipeline on ${r.pairs ?? '?'} pairs (${r.images ?? '?'} images) of \`${String(r.dataset ?? '?').split('/').pop()}\`, model \`${r.modelId ?? '?'}\`. One run of the pipeline (it is deterministic); the spread given is over the ${r.crossValidated?.folds ?? 10} cross-validation folds.`, '');
  out.push(
    table(
      ['figure', 'value'],
      [
        ['accuracy (10-fold, own threshold per fold)', `${pct(r.accuracy, 2)} ± ${pct(r.accuracyStd, 2)} (std over folds)`],
        ['AUC', n(r.auc, 4)],
        ['EER', pct(r.eer, 2)],
        ['TAR @ FAR 1e-2', pct(r.tarAtFar?.['1e-2'], 2)],
        ['TAR @ FAR 1e-3', pct(r.tarAtFar?.['1e-3'], 2)],
        [`at the operating threshold ${r.threshold ?? '?'}: FAR / FRR`, `${pct(r.atOperatingThreshold?.falseAccepts, 2)} / ${pct(r.atOperatingThreshold?.falseRejects, 2)}`],
        ['images the pipeline could not embed', `${r.failedImages ?? '?'}`],
      ],
    ),
  );
  const impostors = r.pairs ? Math.round(r.pairs / 2) : undefined;
  if (impostors) out.push('', `With ${impostors} impostor pairs, a FAR below ${(1 / impostors).toExponential(1)} is not resolved by this dataset: TAR @ FAR 1e-3 is read off the few highest impostor scores.`);
  if (existsSync(join(RESULTS, 'accuracy-roc.svg'))) out.push('', '![ROC](results/accuracy-roc.svg)');
  headline.push(['face match accuracy (LFW fold, 10-fold CV)', `${pct(r.accuracy, 2)} ± ${pct(r.accuracyStd, 2)}, AUC ${n(r.auc, 4)}`, 'one pipeline run; ± is std over folds']);
  headline.push(['TAR @ FAR 1e-3', pct(r.tarAtFar?.['1e-3'], 1), `${r.pairs ?? '?'} pairs: low-FAR end poorly resolved`]);
  return out.join('\n');
}

function sdkSection(r: Json): string {
  const out = ['## SDK on the device (`npm run bench:sdk`)', ''];
  const repeat = r.settings?.repeat;
  out.push(`Per-stage time per image, ${r.imagesTimed ?? '?'} images (${r.imageSize ?? ''}). ${repeat ? `Each image was run ${repeat} times and the ${r.settings?.perImage ?? 'fastest'} kept; the` : 'One run: the'} figures are the median and p95 over images, not over repeated benchmark runs.`, '');
  const stages = Object.keys(r.sdk?.[0]?.stages ?? {});
  out.push(
    table(
      ['stage', ...r.sdk.map((s: Json) => `${s.threads} thread(s): median ms`), ...r.sdk.map((s: Json) => `${s.threads} thread(s): p95 ms`)],
      stages.map((st) => [st, ...r.sdk.map((s: Json) => n(s.stages[st]?.median, 2)), ...r.sdk.map((s: Json) => n(s.stages[st]?.p95, 2))]),
    ),
  );
  if (r.human?.available) {
    out.push('', `Same run, same images: \`@vladmandic/human\` detect+embed on 1 thread: median ${n(r.human.total?.median, 1)} ms (p95 ${n(r.human.total?.p95, 1)}). Ratios (human ÷ ours, 1 thread): full pipeline ${n(r.ratio?.humanMedianOverSdkMedian1Thread, 2)}×, CPU time ${n(r.ratio?.humanCpuOverSdkCpu1Thread, 2)}×, our detect+embed stages only ${n(r.ratio?.humanMedianOverSdkDetectEmbed1Thread, 2)}×.`);
  }
  const groups = stages
    .filter((s) => !['cpu', 'detectEmbed'].includes(s))
    .map((st) => ({ label: st, bars: r.sdk.map((s: Json) => ({ name: `${s.threads} thread(s)`, value: s.stages[st]?.median, lo: s.stages[st]?.median, hi: s.stages[st]?.p95 })) }));
  if (r.human?.available) groups.push({ label: 'human detect+embed', bars: [{ name: '1 thread(s)', value: r.human.total?.median, lo: r.human.total?.median, hi: r.human.total?.p95 }] });
  const f = svg('sdk-stages.svg', barPlotSvg({ title: 'SDK stage latency per image', note: 'bar: median over images; whisker: median → p95 (one run)', unit: 'ms per image', groups, log: true }));
  out.push('', `![SDK stages](${f})`);
  const one = r.sdk?.[0]?.stages?.total;
  headline.push(['SDK, capture → sealed envelope (1 thread)', `${n(one?.median, 1)} ms median, p95 ${n(one?.p95, 1)} ms`, `median over ${r.imagesTimed ?? '?'} images${r.settings?.repeat ? `, each the fastest of ${r.settings.repeat}` : ', one run'}`]);
  if (r.ratio) headline.push(['SDK vs @vladmandic/human (same run)', `${n(r.ratio.humanMedianOverSdkMedian1Thread, 2)}× faster (CPU ${n(r.ratio.humanCpuOverSdkCpu1Thread, 2)}×)`, 'ratio of medians, 1 thread']);
  return out.join('\n');
}

function browserSection(r: Json): string {
  const out = ['## SDK in the browser (`npm run bench:browser`)', ''];
  out.push(`The same pipeline in headless Chromium (onnxruntime-web, WASM, ${r.threads} thread(s), cross-origin isolated: ${r.crossOriginIsolated}) and in Node (1 thread), on the same ${r.images} lfw-dev images, interleaved in batches; each image the fastest of ${r.settings?.repeat ?? '?'} runs.`, '');
  const stages = Object.keys(r.stages?.browser ?? {});
  out.push(table(['stage', 'browser median ms', 'browser p95 ms', 'Node median ms', 'Node p95 ms'], stages.map((st) => [st, n(r.stages.browser[st]?.median, 1), n(r.stages.browser[st]?.p95, 1), n(r.stages.node[st]?.median, 1), n(r.stages.node[st]?.p95, 1)])));
  const t = r.subset?.cpuThrottled ?? {};
  const brotli = r.firstLoadBytesBrotli ? ` (${n(r.firstLoadBytesBrotli / 1e6, 2)} MB if served as brotli)` : '';
  out.push('', `First load into an empty profile: ${n(r.firstLoadBytesGzip / 1e6, 2)} MB on the wire (gzip)${brotli}, ${n(r.firstLoadBytes / 1e6, 2)} MB raw, ${n(r.firstLoadMs / 1000, 1)} s to a ready pipeline. On ${r.subset?.images} images: unthrottled ${n(r.subset?.unthrottled?.total?.median, 1)} ms, CPU throttled 4× ${n(t['4x']?.total?.median, 1)} ms, 6× ${n(t['6x']?.total?.median, 1)} ms; ${r.subset?.allCores ? `${r.subset.allCores.threads} WASM threads ${n(r.subset.allCores.stages?.total?.median, 1)} ms; fp32 model files ${n(r.subset?.fp32Models?.total?.median, 1)} ms` : `1 WASM thread ${n(r.subset?.singleThread?.stages?.total?.median, 1)} ms; subnormal weights kept ${n(r.subset?.subnormalsKept?.total?.median, 1)} ms`}.`);
  if (r.firstLoad?.files) out.push('', table(['file', 'gzip bytes', 'brotli bytes', 'raw bytes'], r.firstLoad.files.map((f: Json) => [f.path, f.gzip, f.brotli ?? '', f.bytes])));
  headline.push(['SDK in the browser (WASM) vs Node, same run', `${n(r.medianMs, 1)} vs ${n(r.nodeMedianMs, 1)} ms median: ${n(r.ratioToNode, 2)}× (target ≤ 1.6×)`, `${r.images} lfw-dev images, ${r.threads} WASM thread(s)`]);
  headline.push(['browser first load (models + runtime + app)', `${n(r.firstLoadBytesGzip / 1e6, 2)} MB gzip (target ≤ 8 MB)`, `${n(r.firstLoadBytes / 1e6, 2)} MB raw; fr_pose fetched only when needed`]);
  return out.join('\n');
}

function fp16WireSection(r: Json): string {
  const m = r.perModel ?? {};
  const out = ['## fp16 weights on the wire (`npm run bench:fp16`)', ''];
  out.push(`Each model run on the same input with its fp32 weights and with the fp16-rounded weights the browser rebuilds, in Node, on ${r.images} images (lfw-dev + PAD samples); then the whole pipeline, gates enforced, all fp32 against all rounded.`, '');
  out.push(
    table(
      ['model', 'largest change'],
      [
        ['detector', `box edges ${n(m.detector?.boxShiftPx?.median, 3)} px median, ${n(m.detector?.boxShiftPx?.p95, 3)} p95, ${n(m.detector?.boxShiftPx?.max, 2)} max; lowest IoU ${n(m.detector?.lowestIoU, 4)}; face count differs on ${m.detector?.facesDiffer}`],
        ['landmarks', `${n(m.landmarks?.largestShiftPx, 3)} px (${n(100 * m.landmarks?.largestShiftOfEyeDistance, 2)} % of the eye distance)`],
        ['eyes', `closed probability ${n(m.eyes?.largestChange, 4)}`],
        ['liveness (same crop)', `score ${n(m.liveness?.largestChange, 4)}, ${m.liveness?.decisionsFlipped} decisions flipped (fp32 box moved 0.05 px: ${n(m.liveness?.fp32BoxMoved0_05px?.largestChange, 3)}, ${m.liveness?.fp32BoxMoved0_05px?.decisionsFlipped} flipped)`],
        ['head pose', `${n(m.pose?.largestChangeDegrees, 2)}°`],
        ['embedder (same aligned face)', `lowest cosine ${n(m.embedder?.lowestCosine, 6)}`],
        ['whole pipeline', `${r.pipeline?.bothAccepted} accepted by both, lowest cosine ${n(r.pipeline?.lowestCosine, 6)}; ${r.pipeline?.gateDisagreements?.length} gate decisions differ (liveness near its threshold)`],
      ],
    ),
  );
  return out.join('\n');
}

function envelopeSection(r: Json): string {
  const out = ['## Opening an envelope (`npm run bench:envelope`)', ''];
  out.push(`${r.settings?.envelopes ?? '?'} envelopes × ${r.settings?.rounds ?? '?'} rounds, routes interleaved. The figure is the median over all ${r.settings?.samplesPerRoute ?? '?'} timed opens of one run; p95 is its spread. Speed-ups are ratios within this run.`, '');
  out.push(table(['route', 'median µs', 'p95 µs', 'opens/s', '× tweetnacl'], (r.routes ?? []).map((x: Json) => [x.route, n(x.medianUs, 1), n(x.p95Us, 1), n(x.opensPerSecond, 0), n(x.speedupVsTweetnacl, 1)])));
  out.push('', `Byte-identical plaintexts on every route: ${r.byteIdentical}; tampered envelopes refused by all: ${r.tamperRefusedByAll}.`);
  const svc = (r.routes ?? []).find((x: Json) => String(x.route).startsWith('service'));
  if (svc) headline.push(['envelope open in the service', `${n(svc.medianUs, 0)} µs median (${n(svc.speedupVsTweetnacl, 1)}× tweetnacl)`, 'one run, median of all opens']);
  return out.join('\n');
}

function identitySection(r: Json): string {
  const out = ['## Sign-in and the per-request session check (`npm run bench:identity`)', ''];
  out.push('One process, one run per database. CPU is this process\'s (scrypt runs on libuv\'s pool, PGlite in-process): what one core spends whatever else the machine runs. Wall times are medians of the run; p95 beside them.', '');
  const rows = Object.entries(r.byDatabase ?? {}).map(([db, x]: [string, Json]) => [
    db,
    `${n(x.kdf?.cpu?.median, 1)} ms CPU (${n(x.kdf?.median, 1)} wall)`,
    `${n(x.login?.cpu?.median, 1)} ms CPU (${n(x.login?.median, 1)} wall, p95 ${n(x.login?.p95, 0)})`,
    `${n(x.revocationCheck?.lookup?.median, 1)} µs (p95 ${n(x.revocationCheck?.lookup?.p95, 0)})`,
    `${n(x.revocationCheck?.authenticatedRead?.median, 0)} µs`,
  ]);
  out.push(table(['database', 'MPIN KDF (scrypt)', 'whole sign-in', 'session check', 'an authenticated read'], rows));
  const pg = r.byDatabase?.postgres ?? r.byDatabase?.pglite;
  if (pg) headline.push(['sign-in (mobile + MPIN), CPU on one core', `${n(pg.login?.cpu?.median, 1)} ms (KDF ${n(pg.kdf?.cpu?.median, 1)} ms)`, 'bench:identity, median of 15']);
  return out.join('\n');
}

function serviceSection(r: Json): string {
  const out = ['## Service, closed loop (`npm run bench:service`)', ''];
  const rounds = (r.rounds ?? []).filter((x: Json) => String(x.label).startsWith('round'));
  out.push(`${r.path ?? ''}. Database: ${r.database}. ${rounds.length} measured rounds of ${r.settings?.requestsPerRound ?? '?'} requests at ${r.settings?.connections ?? '?'} connections (autocannon, closed loop), each request its own beneficiary and envelope. Figures: median of the rounds [min–max over rounds].`, '');
  const s = (f: (x: Json) => number) => spreadOf(rounds.map(f));
  out.push(
    table(
      ['figure', `median of ${rounds.length} rounds [range]`],
      [
        ['verifications/s (200 + match only)', range(s((x) => x.verificationsPerSecond))],
        ['p50 latency, ms', range(s((x) => x.p50Ms))],
        ['p99 latency, ms', range(s((x) => x.p99Ms))],
        ['server CPU ms per verification', range(s((x) => x.serverCpuMsPerRequest), 2)],
        ['errors (all rounds)', String(r.errors ?? '—')],
        ['one request at a time: p50 / p99 ms (one round)', r.unloaded ? `${n(r.unloaded.p50Ms)} / ${n(r.unloaded.p99Ms)}` : '—'],
      ],
    ),
  );
  if (r.enrolment) out.push('', `Set-up through the API (one pass, concurrency ${r.enrolment.concurrency}): ${n(r.enrolment.registrationsPerSecond)} registrations/s, ${n(r.enrolment.consentsPerSecond)} consents/s, ${n(r.enrolment.enrolmentsPerSecond)} enrolments/s (each enrolment: envelope open, 1:N duplicate search, HNSW insert). Rows written match responses: ${r.written?.consistentWithResponses}; audit chain ok: ${r.auditChain?.ok}.`);
  if (r.machine?.git?.note) out.push('', `Note from the run: ${r.machine.git.note}`);
  const f = svg(
    'service-latency.svg',
    barPlotSvg({
      title: 'Service, closed loop: latency per round',
      note: `${r.settings?.connections ?? '?'} connections; bar p50, whisker p50 → p99`,
      unit: 'ms',
      groups: [...(r.rounds ?? [])].map((x: Json) => ({ label: x.label, bars: [{ name: 'p50 → p99', value: x.p50Ms, lo: x.p50Ms, hi: x.p99Ms }, { name: 'p90', value: x.p90Ms }] })),
    }),
  );
  out.push('', `![service latency](${f})`);
  headline.push(['service, closed loop (PGlite, 8 conns)', `${range(s((x) => x.verificationsPerSecond))} verif/s, p99 ${range(s((x) => x.p99Ms))} ms`, `median [range] of ${rounds.length} rounds`]);
  return out.join('\n');
}

function loadSection(r: Json): string {
  const out = ['## Service under load, open loop (`npm run bench:load`)', ''];
  out.push(`${r.path}. Generator: ${r.generator}. Server: ${r.server}.`, '');
  out.push(`**Max sustained rate.** ${r.method?.maxSustained}`, '', `**Fixed rates.** ${r.method?.levels}`, '');
  const rows: string[][] = [];
  for (const t of r.results ?? []) {
    rows.push([`**${t.target}**`, `**${n(t.maxSustained?.verificationsPerSecond)}/s max sustained**`, `first failing ${n(t.maxSustained?.firstFailingRate)}/s, ${t.maxSustained?.steps} steps${t.maxSustained?.stoppedBy ? `; stopped by ${t.maxSustained.stoppedBy}` : ''}`, '', '']);
    for (const l of t.atLevels ?? []) rows.push([t.target, `${l.level * 100} % = ${n(l.rate)}/s`, range(l.p50Ms), range(l.p99Ms), `${l.errors} (${l.runs} runs × ${l.requestsPerRun})`]);
  }
  out.push(table(['database', 'offered rate', 'p50 ms, median [range over runs]', 'p99 ms, median [range over runs]', 'errors'], rows));
  out.push('');
  for (const t of r.results ?? []) {
    out.push(`- **${t.target}**: ${t.database}. Seeded ${t.seeded?.beneficiaries} beneficiaries over ${t.seeded?.states} states in ${n(t.seeded?.seconds)} s; closed-loop estimate ${n(t.closedLoopEstimate?.verificationsPerSecond)}/s at 8 in flight. Rows written match responses: ${t.written?.consistentWithResponses}; audit chain ok: ${t.auditChain?.ok} (${t.auditChain?.entries} entries).`);
  }
  // Where the CPU goes, per fixed-rate run (median over runs at each level).
  const cpuRows: string[][] = [];
  for (const t of r.results ?? []) {
    for (const l of t.atLevels ?? []) {
      const runs = (t.steps ?? []).filter((s: Json) => String(s.label).startsWith(`${l.level * 100}%`));
      const m = (f: (s: Json) => number | null | undefined) => n(med(runs.map((s: Json) => f(s) ?? Number.NaN)), 2);
      cpuRows.push([t.target, `${l.level * 100} %`, m((s) => s.serverCpuMsPerVerification), m((s) => s.dbCpuMsPerVerification), m((s) => s.generatorCpuShare), m((s) => s.otherCores), m((s) => s.db?.lockWaiters?.mean), m((s) => s.db?.commitLatency?.p50Ms), m((s) => s.loadAverage1m)]);
    }
  }
  if (cpuRows.length) {
    out.push('', `**Where the CPU goes.** ${r.method?.cpu ?? ''} Lock waiters: backends waiting on a heavyweight lock, mean over 100 ms samples (pg_stat_activity). Commit: a one-row INSERT committed every 200 ms beside the load.`, '');
    out.push(table(['database', 'level', 'service CPU ms / verification', 'database CPU ms / verification', 'generator, cores', 'others on the machine, cores', 'lock waiters (mean)', 'commit p50 ms', 'load average'], cpuRows));
  }
  // Latency against offered rate, every step of every target.
  const series: XySeries[] = [];
  for (const t of r.results ?? []) {
    const steps = [...(t.steps ?? [])].sort((a: Json, b: Json) => a.offeredRate - b.offeredRate);
    series.push({ name: `${t.target} p50`, points: steps.map((s: Json) => ({ x: s.offeredRate, y: s.latency?.p50Ms, hollow: !s.pass })) });
    series.push({ name: `${t.target} p99`, points: steps.map((s: Json) => ({ x: s.offeredRate, y: s.latency?.p99Ms, hollow: !s.pass })) });
  }
  const f = svg('load-latency.svg', xyPlotSvg({ title: 'Latency against offered verification rate (open loop)', note: 'every search step and fixed-rate run; hollow = step failed the sustained test', xLabel: 'offered verifications/s', yLabel: 'latency from scheduled arrival, ms', yLog: true, series }));
  out.push('', `![load latency](${f})`);
  for (const t of r.results ?? []) {
    const m = t.mixedDay;
    if (!m) continue;
    out.push('', `### Mixed day on ${t.target}`, '');
    out.push(`${m.visits} visits at ${n(m.visitsPerSecond)}/s for ${n(m.seconds)} s (${r.settings?.mixedShare} × the max sustained verification rate) = ${m.requests} requests, ${n(m.requestsPerSecond)} requests/s; ${m.errors} errors. One run: p50/p99 are over that run's requests. Service CPU ${m.serverCpuShare ?? '?'} core${m.dbCpuShare != null ? `, database backends ${m.dbCpuShare} core` : ''}; load average ${m.loadAverage1m}.`, '');
    out.push(`Visit mix: ${(m.mix ?? []).map((x: Json) => `${x.kind} ${Math.round(x.weight * 100)} %`).join(', ')}.`, '');
    out.push(table(['operation', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'errors'], Object.entries(m.ops ?? {}).map(([op, o]: [string, Json]) => [op, o.requests, n(o.p50Ms), n(o.p99Ms), n(o.maxMs), `${o.errors}${o.errors ? ` ${JSON.stringify(o.errorCodes)}` : ''}`])));
    out.push('', ...Object.entries(m.flows ?? {}).map(([k, v]) => `- ${k}: ${v}`));
  }
  const first = r.results?.[0];
  if (first) {
    headline.push([`max sustained verifications/s, zero errors (${first.target})`, `${n(first.maxSustained?.verificationsPerSecond)}/s`, `open-loop search, ${r.settings?.stepSeconds} s steps; first failing rate ${n(first.maxSustained?.firstFailingRate)}/s; load average ${n(med((first.steps ?? []).map((s: Json) => s.loadAverage1m)), 1)}`]);
    for (const l of first.atLevels ?? []) headline.push([`p50 / p99 at ${l.level * 100} % (${n(l.rate)}/s, ${first.target})`, `${n(l.p50Ms?.median)} / ${n(l.p99Ms?.median)} ms`, `median of ${l.runs} runs; p99 range ${n(l.p99Ms?.min)}–${n(l.p99Ms?.max)}`]);
  }
  for (const t of (r.results ?? []).slice(1)) {
    headline.push([`max sustained verifications/s (${t.target})`, `${n(t.maxSustained?.verificationsPerSecond)}/s`, `same method; load average ${n(med((t.steps ?? []).map((s: Json) => s.loadAverage1m)), 1)}`]);
    const half = (t.atLevels ?? []).find((l: Json) => l.level === 0.5);
    if (half) headline.push([`p50 / p99 at 50 % (${n(half.rate)}/s, ${t.target})`, `${n(half.p50Ms?.median)} / ${n(half.p99Ms?.median)} ms`, `median of ${half.runs} runs; CPU per verification: service ${n(half.serverCpuMsPerVerification?.median, 2)} ms, database ${n(half.dbCpuMsPerVerification?.median, 2)} ms`]);
  }
  if (first?.mixedDay) headline.push([`mixed day (${first.target})`, `${first.mixedDay.requests} requests, ${first.mixedDay.errors} errors`, 'one run; per-op table in REPORT.md']);
  return out.join('\n');
}

/** benchmarks/db-params.ts: the cost of one statement, the vector's encoding, prepared statements. */
function dbParamsSection(r: Json): string {
  const out = ['## One statement, the vector parameter, prepared statements (`npm run bench:db-params`)', ''];
  out.push(`${r.n} statements in a row on one connection per variant, ${r.reps} interleaved reps, the median rep. Database CPU: the backend's for the server, this process's for PGlite (it runs inside). Encoding one 512-d probe in JS: ${Object.entries(r.encodeUsPerProbe ?? {}).map(([k, v]) => `${k} ${n(v)} µs`).join(', ')}.`, '');
  const rows: string[][] = [];
  for (const target of ['pglite', 'server']) for (const [label, v] of Object.entries((r[target] ?? {}) as Json)) rows.push([target, label, n((v as Json).wallUsPerStatement), n((v as Json).dbCpuUsPerStatement)]);
  out.push(table(['database', 'statement', 'wall µs / statement', 'database CPU µs / statement'], rows));
  const s = r.server ?? {};
  if (s['score, text17, unnamed'] && s['score, binary, prepared']) headline.push(['1:1 score statement, server: text unnamed → binary prepared', `${n(s['score, text17, unnamed'].dbCpuUsPerStatement)} → ${n(s['score, binary, prepared'].dbCpuUsPerStatement)} µs database CPU`, `bench:db-params, median of ${r.reps} reps`]);
  return out.join('\n');
}

/** benchmarks/scale.ts: results[] per gallery size, indexes[] per HNSW setting, search[] per ef_search. */
function scaleSection(r: Json, name = 'scale'): string {
  const out = [`## Scale on pgvector (\`npm run bench -- scale\`${name === 'scale' ? '' : `, kept as results/${name}.json`})`, ''];
  const db = r.database?.kind === 'postgres' ? `PostgreSQL server (${String(r.database.version ?? '').split(' on ')[0]}, pgvector ${r.database.pgvector}; ${(r.database.settings ?? []).join(', ')})` : (r.database?.kind ?? r.database ?? '?');
  out.push(`${r.description ?? ''}. Database: ${db}. ${r.settings?.queriesPerSetting ?? '?'} genuine probes per setting, one run; p50/p99 are over those queries. Load average (1 min) at start ${n(r.machine?.loadAverage1m, 2)}${r.loadAverageAtEnd ? `, at the end ${r.loadAverageAtEnd.join(' / ')}` : ''}. Embeddings: ${r.embeddings?.how ?? 'see the JSON'}.`.trim(), '');
  if (r.complete === false) out.push('**This run was stopped before it finished**: the sizes and indexes below are those it completed (`inProgress` in the JSON is the size it was measuring).', '');
  const rows: (string | number)[][] = [];
  const districtRows: (string | number)[][] = [];
  const series: XySeries[] = [];
  for (const size of [...(r.results ?? []), ...(r.inProgress ? [r.inProgress] : [])]) {
    const exact = size.exact?.recallAt1RightPerson;
    for (const ix of size.indexes ?? []) {
      const config = `${size.templates} ${ix.storage} m=${ix.m} efc=${ix.efConstruction}`;
      for (const q of ix.search ?? []) {
        rows.push([size.templates, ix.storage, ix.m, ix.efConstruction, n(ix.buildSeconds), ix.indexBytesPerTemplate, ix.bytesPerTemplate, q.efSearch, n(q.p50Ms), n(q.p99Ms), n(q.recallAt1VsExact, 3), `${n(q.recallAt1RightPerson, 3)} (exact ${n(exact, 3)})`]);
      }
      if (ix.buildMemory || ix.buildLoadAverage) out.push(`- ${config}: HNSW build ${n(ix.buildSeconds / 60)} min at load average ${(ix.buildLoadAverage ?? []).join(' / ')} (at its end); peak memory ${ix.buildMemory ? `${n(ix.buildMemory.anonBytes / 2 ** 30, 2)} GiB private, ${n(ix.buildMemory.shmemBytes / 2 ** 30, 2)} GiB shared, ${ix.buildMemory.processes} processes` : 'not sampled'}${ix.buildNotices?.length ? `; notices: ${ix.buildNotices.join(' | ')}` : ''}.`);
      series.push({ name: config, line: true, points: (ix.search ?? []).map((q: Json) => ({ x: q.p50Ms, y: q.recallAt1VsExact })).sort((a: { x: number }, b: { x: number }) => a.x - b.x) });
      const d = ix.districtFiltered;
      for (const [plan, runs] of [['planner\'s choice', d?.plannersChoice], ['HNSW forced', d?.hnswForced]] as const) {
        for (const q of (runs as Json[] | undefined) ?? []) {
          districtRows.push([size.templates, `${ix.storage} m=${ix.m}`, `${plan}${q.plan ? `: ${q.plan}` : ''}`, q.iterativeScan, q.efSearch ?? d.efSearch ?? 40, n(q.p50Ms), n(q.p99Ms), n(q.meanRowsReturned, 3), q.queriesWithNoRow ?? 0, n(q.recallAt1VsExactInDistrict, 3), n(q.recallAt1RightPerson, 3)]);
        }
      }
    }
    if (size.layout) out.push(`- ${size.templates} templates: ${size.layout.graphs === 1 ? 'one HNSW graph for the state' : `a partition and an HNSW graph per district (${size.layout.graphs} of ${size.layout.templatesPerGraph}); the state-wide 1:N merges them`}.`);
    if (size.exactScanInDatabase) out.push(`- ${size.templates} templates: exact scan without an index p50 ${n(size.exactScanInDatabase.p50Ms)} ms, p99 ${n(size.exactScanInDatabase.p99Ms)} ms; table ${JSON.stringify(size.tableBytesPerTemplate ?? Object.fromEntries(Object.entries(size.tableBytes ?? {}).map(([k, v]) => [k, Math.round(Number(v) / size.templates)])))} bytes per template.`);
  }
  out.push('', table(['templates', 'storage', 'm', 'ef_construction', 'build s', 'index B/template', 'total B/template', 'ef_search', 'p50 ms', 'p99 ms', 'recall@1 vs exact', 'right person first'], rows));
  // Headline: at the largest size, the fastest district 1:N setting that agrees with exact search on ≥ 99 % of probes.
  const largest = [...(r.results ?? []), ...(r.inProgress ? [r.inProgress] : [])].filter((x: Json) => x.indexes?.length).at(-1);
  if (name === 'scale-district') {
    // A district's own graph: the smallest ef_search agreeing with exact search on ≥ 99 % of probes, per gallery size.
    for (const size of r.results ?? []) {
      const ix = size.indexes?.[0];
      const q = (ix?.search ?? []).find((x: Json) => x.recallAt1VsExact >= 0.99);
      if (q) headline.push([`1:N on a district's own graph of ${size.templates} (${ix.storage})`, `p50 ${n(q.p50Ms)} ms, p99 ${n(q.p99Ms)} ms`, `recall@1 vs exact ${n(q.recallAt1VsExact, 3)} at ef_search ${q.efSearch}; load ${n(r.machine?.loadAverage1m, 1)}`]);
    }
  }
  if (largest && name === 'scale') {
    for (const ix of largest.indexes) {
      const d = ix.districtFiltered;
      const all = [...(d?.plannersChoice ?? []).map((q: Json) => ({ ...q, how: `planner's choice (${q.plan})` })), ...(d?.hnswForced ?? []).map((q: Json) => ({ ...q, how: 'HNSW' }))];
      const ok = all.filter((q: Json) => q.recallAt1VsExactInDistrict >= 0.99).sort((a: Json, b: Json) => a.p50Ms - b.p50Ms)[0];
      const best = ok ?? all.sort((a: Json, b: Json) => b.recallAt1VsExactInDistrict - a.recallAt1VsExactInDistrict || a.p50Ms - b.p50Ms)[0];
      if (best) headline.push([`district 1:N at ${largest.templates} templates (${ix.storage})${ok ? '' : ', best recall (none reached 0.99)'}`, `p50 ${n(best.p50Ms)} ms, p99 ${n(best.p99Ms)} ms`, `recall@1 vs exact ${n(best.recallAt1VsExactInDistrict, 3)}; ${best.how}, iterative ${best.iterativeScan}, ef_search ${best.efSearch}; load ${n(r.machine?.loadAverage1m, 1)}`]);
      if (ix.buildSeconds) headline.push([`HNSW build at ${largest.templates} templates (${ix.storage}, m=${ix.m}, efc=${ix.efConstruction})`, `${n(ix.buildSeconds / 60)} min`, `${ix.bytesPerTemplate} B/template heap + index; load ${(ix.buildLoadAverage ?? []).join(' / ')}`]);
    }
  }
  if (districtRows.length) {
    out.push('', `**District-filtered 1:N** (${r.settings?.districts ?? '?'} districts in the state, limit ${r.settings?.limit ?? '?'}): what the service runs for duplicate checks and identification.`, '');
    out.push(table(['templates', 'index', 'plan', 'iterative scan', 'ef_search', 'p50 ms', 'p99 ms', 'rows returned', 'probes with no row', 'recall@1 vs exact in district', 'right person first'], districtRows));
  }
  if (series.length) {
    const f = svg(`${name}-recall-latency.svg`, xyPlotSvg({ title: 'Recall@1 (vs exact) against 1:N query latency', note: 'each point one ef_search setting', xLabel: 'p50 latency (ms)', yLabel: 'recall@1 vs exact', xLog: true, series }));
    out.push('', `![recall vs latency](${f})`);
  }
  for (const skipped of r.notMeasured ?? r.skipped ?? []) out.push(`- not measured: ${typeof skipped === 'string' ? skipped : JSON.stringify(skipped)}`);
  return out.join('\n');
}

/** benchmarks/shards.ts: the service's queries through a postgres_fdw foreign partition, on the shard directly, and local. */
function shardsSection(r: Json): string {
  const out = ['## Templates sharded by state over postgres_fdw (`npm run bench:shards`)', ''];
  const s = r.settings ?? {};
  out.push(`${r.description ?? ''}. ${s.templatesPerState} templates per state (half in ${s.smallDistricts} districts of ${s.perSmallDistrict}, half in one district of ${s.largeDistrict}), ${s.queries} probes, limit ${s.limit}; ${s.transport}. One run; load average (1 min) at start ${n(r.machine?.loadAverage1m, 2)}, at the end ${(r.loadAverageAtEnd ?? []).join(' / ')}.`, '');
  const rows: (string | number)[][] = [];
  for (const [k, label] of [['oneToOne', '1:1 (scoreBeneficiaryTemplates)'], ['oneToNSmallDistrict', '1:N, small district (nearestInDistrict)'], ['oneToNLargeDistrict', '1:N, large district (nearestInDistrict)']] as const) {
    const x = r[k];
    if (!x) continue;
    rows.push([label, x.queries ?? '—', `${n(x.sharded?.p50Ms, 2)} / ${n(x.sharded?.p99Ms, 1)}`, `${n(x.direct?.p50Ms, 2)} / ${n(x.direct?.p99Ms, 1)}`, `${n(x.local?.p50Ms, 2)} / ${n(x.local?.p99Ms, 1)}`, `+${n(x.hopP50Ms, 2)} ms (×${n(x.hopRatioP50, 2)})`, `${n(x.sharded?.rightPerson, 3)} / ${n(x.direct?.rightPerson, 3)} / ${n(x.local?.rightPerson, 3)}`]);
    headline.push([`${label}: extra p50 of the foreign-table hop`, `+${n(x.hopP50Ms, 2)} ms`, `sharded ${n(x.sharded?.p50Ms, 2)} ms vs the same query on the shard ${n(x.direct?.p50Ms, 2)} ms (loopback, load ${n(r.machine?.loadAverage1m, 1)})`]);
  }
  out.push(table(['query', 'n', 'sharded p50 / p99 ms', 'on the shard directly p50 / p99 ms', 'local partition p50 / p99 ms', 'hop (sharded − direct, p50)', 'right person first (sharded / direct / local)'], rows));
  for (const [k, plan] of Object.entries(r.plans ?? {})) out.push('', `Plan, ${k}:`, '', '```', String(plan), '```');
  return out.join('\n');
}

function genericSection(name: string, r: Json): string {
  const scalars = Object.entries(r).filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean');
  return [`## ${name}`, '', table(['key', 'value'], scalars.slice(0, 30).map(([k, v]) => [k, String(v)]))].join('\n');
}

// ---------------------------------------------------------------- report

export function writeReport(): { report: string; readmeUpdated: boolean } {
  headline.length = 0;
  const names = existsSync(RESULTS) ? readdirSync(RESULTS).filter((f) => f.endsWith('.json') && f !== 'runner.json').map((f) => f.slice(0, -5)) : [];
  const order = ['accuracy', 'sdk', 'browser', 'subnormals', 'fp16-wire', 'envelope-open', 'identity', 'service', 'load', 'scale', 'scale-district', 'scale-pglite', 'shards'];
  names.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const runner = load('runner');
  const sections: string[] = [];
  const prov: string[][] = [];
  for (const name of names) {
    const r = load(name);
    if (!r) {
      sections.push(`## ${name}\n\n\`results/${name}.json\` could not be read.`);
      continue;
    }
    const p = provenance(r);
    const last = runner?.runs?.find((x: Json) => x.result === `${name}.json`);
    prov.push([name, p.date, p.commit, p.node, p.cpu, p.load, last ? `${last.status} (${n(last.seconds, 0)} s)` : 'not in the last runner pass']);
    try {
      sections.push(
        name === 'accuracy' ? accuracySection(r) : name === 'sdk' ? sdkSection(r) : name === 'browser' ? browserSection(r) : name === 'fp16-wire' ? fp16WireSection(r) : name === 'envelope-open' ? envelopeSection(r) : name === 'identity' ? identitySection(r) : name === 'service' ? serviceSection(r) : name === 'load' ? loadSection(r) : name.startsWith('scale') ? scaleSection(r, name) : name === 'shards' ? shardsSection(r) : name === 'db-params' ? dbParamsSection(r) : genericSection(name, r),
      );
    } catch (err) {
      sections.push(`## ${name}\n\nThis result could not be summarised (${(err as Error).message}); see \`results/${name}.json\`.`);
    }
  }
  const missing = (runner?.runs ?? []).filter((x: Json) => x.status !== 'ok');
  const report = [
    '# Benchmark report',
    '',
    `Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:report\` from \`benchmarks/results/*.json\`. Do not edit: rerun \`npm run bench\` (all) or \`npm run bench -- <names>\`.`,
    '',
    'How to read it: a figure with a range is the median over repeated runs in one benchmark invocation, [min–max] over those runs. Where a benchmark runs once, the section says so and the spread shown is over the samples of that run (p95, or fold std). Ratios compare figures from the same run only. Every benchmark shares this 2-core machine with whatever else ran: the load average at start → end is in the table below and per step in the JSON.',
    '',
    table(['result', 'date (UTC)', 'commit', 'node', 'CPU', 'load avg 1m', 'last runner pass'], prov),
    ...(missing.length ? ['', `Last runner pass, not ok: ${missing.map((x: Json) => `${x.name} — ${x.status}${x.note ? ` (${x.note})` : ''}`).join('; ')}.`] : []),
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
  writeFileSync(REPORT, report);
  return { report, readmeUpdated: updateReadme() };
}

function updateReadme(): boolean {
  if (!existsSync(README)) return false;
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('<!-- bench:start -->');
  const end = text.indexOf('<!-- bench:end -->');
  if (start < 0 || end < start) return false;
  const block = [
    '<!-- bench:start -->',
    '<!-- written by `npm run bench:report` from benchmarks/REPORT.md; edit benchmarks/report.ts, not this block -->',
    '',
    table(['figure', 'value', 'how'], headline.map(([a, b, c]) => [a, b, c])),
    '',
    'Full tables, plots, machine and load average per result: [`benchmarks/REPORT.md`](benchmarks/REPORT.md).',
    '',
  ].join('\n');
  const next = text.slice(0, start) + block + text.slice(end);
  if (next !== text) writeFileSync(README, next);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { readmeUpdated } = writeReport();
  console.log(`wrote benchmarks/REPORT.md${readmeUpdated ? ' and the README benchmark block' : ' (README has no <!-- bench:start --> / <!-- bench:end --> markers: not touched)'}`);
}
