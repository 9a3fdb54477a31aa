/**
 * One runner for every benchmark:
 *
 *   npm run bench                      # accuracy, sdk, browser, subnormals, fp16-wire, envelope, service, load, scale
 *   npm run bench -- load service      # only these
 *   npm run bench:report               # only regenerate benchmarks/REPORT.md (+ README block)
 *
 * Each benchmark runs as its own child process (node --import tsx <file>) with the terminal
 * passed through, so its own progress bars and log lines show, and one that crashes does not
 * take the others down. Afterwards benchmarks/REPORT.md is regenerated from ALL the
 * results/*.json present (not only those of this pass), and the pass itself is recorded in
 * results/runner.json (status, exit code, seconds per benchmark).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine.js';
import { writeReport } from './report.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const BENCHMARKS = [
  { name: 'accuracy', file: 'benchmarks/accuracy.ts', result: 'accuracy.json' },
  { name: 'sdk', file: 'benchmarks/sdk.ts', result: 'sdk.json' },
  { name: 'browser', file: 'benchmarks/browser.ts', result: 'browser.json' },
  { name: 'subnormals', file: 'benchmarks/subnormals.ts', result: 'subnormals.json' },
  { name: 'fp16-wire', file: 'benchmarks/fp16-wire.ts', result: 'fp16-wire.json' },
  { name: 'envelope', file: 'benchmarks/envelope-open.ts', result: 'envelope-open.json' },
  { name: 'service', file: 'benchmarks/service.ts', result: 'service.json' },
  { name: 'load', file: 'benchmarks/load.ts', result: 'load.json' },
  { name: 'scale', file: 'benchmarks/scale.ts', result: 'scale.json' },
  { name: 'db-params', file: 'benchmarks/db-params.ts', result: 'db-params.json' },
] as const;

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !BENCHMARKS.some((b) => b.name === a));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const chosen = asked.length ? BENCHMARKS.filter((b) => asked.includes(b.name)) : BENCHMARKS;

interface Run {
  name: string;
  file: string;
  result: string;
  status: 'ok' | 'failed' | 'missing' | 'interrupted';
  exitCode: number | null;
  signal: string | null;
  seconds: number;
  /** Whether results/<result> was (re)written during this run. */
  wroteResult: boolean;
  loadAverage1mBefore: number;
  note?: string;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

let current: ReturnType<typeof spawn> | undefined;
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  current?.kill('SIGINT');
});

const runs: Run[] = [];
const started = Date.now();
for (const [k, b] of chosen.entries()) {
  const banner = `━━ [${k + 1}/${chosen.length}] ${b.name} (${b.file}) — load average ${loadavg()[0]!.toFixed(2)} `;
  console.log(`\n${banner}${'━'.repeat(Math.max(0, 78 - banner.length))}`);
  const resultPath = join(ROOT, 'benchmarks/results', b.result);
  const base = { name: b.name, file: b.file, result: b.result, loadAverage1mBefore: +(loadavg()[0] ?? 0).toFixed(2) };
  if (!existsSync(join(ROOT, b.file))) {
    console.log(`${b.file} does not exist (yet): skipped`);
    runs.push({ ...base, status: 'missing', exitCode: null, signal: null, seconds: 0, wroteResult: false, note: `${b.file} not present` });
    continue;
  }
  if (interrupted) {
    runs.push({ ...base, status: 'interrupted', exitCode: null, signal: null, seconds: 0, wroteResult: false, note: 'not started: the runner was interrupted' });
    continue;
  }
  const before = mtime(resultPath);
  const t0 = Date.now();
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    current = spawn(process.execPath, ['--import', 'tsx', join(ROOT, b.file)], { cwd: ROOT, stdio: 'inherit', env: process.env });
    current.once('exit', (code, signal) => resolve({ code, signal }));
    current.once('error', () => resolve({ code: -1, signal: null }));
  });
  current = undefined;
  const seconds = (Date.now() - t0) / 1000;
  const wroteResult = mtime(resultPath) > before;
  const status: Run['status'] = interrupted ? 'interrupted' : code === 0 ? 'ok' : 'failed';
  runs.push({ ...base, status, exitCode: code, signal, seconds: +seconds.toFixed(1), wroteResult, ...(status === 'ok' ? {} : { note: `exit ${code ?? signal}${wroteResult ? '; it still wrote its result (its own checks failed: see the JSON)' : '; no new result: the report keeps the previous one'}` }) });
  console.log(`━━ ${b.name}: ${status} in ${seconds.toFixed(0)} s${wroteResult ? `, wrote results/${b.result}` : ''}`);
}

mkdirSync(join(ROOT, 'benchmarks/results'), { recursive: true });
// Keep the last recorded pass of benchmarks not run this time, so the report can say when each last ran.
const runnerPath = join(ROOT, 'benchmarks/results/runner.json');
let earlier: (Run & { at?: string })[] = [];
try {
  earlier = (JSON.parse(readFileSync(runnerPath, 'utf8')).runs ?? []).filter((r: Run) => !runs.some((x) => x.name === r.name));
} catch {
  // first pass
}
const at = new Date(started).toISOString();
writeFileSync(runnerPath, JSON.stringify({ benchmark: 'runner', asked: asked.length ? asked : 'all', runs: [...runs.map((r) => ({ ...r, at })), ...earlier], seconds: Math.round((Date.now() - started) / 1000), machine: { ...machineInfo(), loadAverage1mAtEnd: +(loadavg()[0] ?? 0).toFixed(2) } }, null, 2) + '\n');
const { readmeUpdated } = writeReport();

console.log('\nbenchmark   status        seconds  result');
for (const r of runs) console.log(`${r.name.padEnd(11)} ${r.status.padEnd(13)} ${String(Math.round(r.seconds)).padStart(7)}  ${r.wroteResult ? `results/${r.result}` : r.note ?? ''}`);
console.log(`\nwrote benchmarks/REPORT.md from every results/*.json present${readmeUpdated ? ', and the README benchmark block' : ''}`);
if (runs.some((r) => r.status === 'failed' || r.status === 'interrupted')) process.exitCode = 1;
