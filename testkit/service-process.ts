/**
 * The service as its own process, exactly as `npm start` runs it (node --import tsx
 * service/src/main.ts), for the tests that need a real process (restart, signals) and for the
 * benchmarks: started on 127.0.0.1 and a free port, on embedded PGlite in `dataDir` or on
 * `databaseUrl`, ready once /healthz answers; its output goes to `dataDir/server.log` (a file, not
 * a pipe, so a benchmark's event loop never pumps the service's logs while it measures).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
const MAIN = join(REPO, 'service/src/main.ts');

/** A port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Every child this process started; killed if the test or benchmark exits without stopping them. */
const children = new Set<ChildProcess>();
let reaperInstalled = false;
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  // Ctrl-C or a kill of a benchmark: exit through the 'exit' handler above, not around it.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

/** `node --import tsx <args>` with stdout and stderr appended to `logPath`. One pid, ours to stop. */
export function spawnLogged(args: string[], env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a');
  // node --import tsx directly (not the tsx CLI, which would fork once more).
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  trackChild(child);
  return child;
}

/** Polls `ready` until it says yes; fails (and kills the child) if the child exits or time runs out. */
export async function waitUntil(child: ChildProcess, logPath: string, what: string, ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`${what} exited (${exited}) before it was ready; see ${logPath}:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
    if (await ready()) return;
    if (Date.now() > deadline) {
      child.kill('SIGKILL'); // never leave one behind: the caller has no handle on it yet
      throw new Error(`${what} was not ready within ${timeoutMs / 1000} s; see ${logPath}:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ServiceProcessOptions {
  /** DATA_DIR: keys, the PGlite data when no databaseUrl is given, and server.log. */
  dataDir: string;
  /** A PostgreSQL server; unset: embedded PGlite in dataDir (an inherited DATABASE_URL is cleared). */
  databaseUrl?: string;
  logLevel?: string;
  /** Extra environment for the service. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface ServiceProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  port: number;
  logPath: string;
  /** Everything this process of the service has written so far (the log file is appended to across restarts). */
  output(): string;
  /** SIGTERM by default (the service drains and closes its database), SIGKILL after 15 s; the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startService(o: ServiceProcessOptions): Promise<ServiceProcess> {
  const logPath = join(o.dataDir, 'server.log');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // DEV_TOKENS=1: tests and benchmarks mint development tokens with the service's key (no sign-in
  // session); pass env { DEV_TOKENS: '' } to run the service as in production. RATE_LIMIT_SCALE: a
  // load generator drives a few workers far past a human's pace from one address; the limiter
  // still runs on every request, its limits raised out of the way.
  const env = { ...process.env, DATA_DIR: o.dataDir, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: o.logLevel ?? 'info', DATABASE_URL: o.databaseUrl ?? '', DEV_TOKENS: '1', RATE_LIMIT_SCALE: '100000', ...o.env };
  const logStart = existsSync(logPath) ? statSync(logPath).size : 0;
  const child = spawnLogged([MAIN], env, logPath);
  await waitUntil(child, logPath, 'the service', () => fetch(`${base}/healthz`).then((r) => r.ok, () => false), o.timeoutMs);
  return { child, base, port, logPath, output: () => readFileSync(logPath).subarray(logStart).toString('utf8'), stop: (signal) => stopChild(child, signal) };
}

/**
 * Runs the service until it exits by itself, for the tests of start-up refusals: its exit code and
 * everything it printed (stdout and stderr together). `uid`/`gid` run it as another user (root
 * only). Killed, and the promise rejected, if it is still running after `timeoutMs`.
 */
export function runServiceToExit(env: Record<string, string>, opts: { uid?: number; gid?: number; timeoutMs?: number } = {}): Promise<{ code: number | null; out: string }> {
  const { timeoutMs = 120_000, ...ids } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: REPO,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...ids,
    });
    trackChild(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the service did not exit within ${timeoutMs / 1000} s:\n${out}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'close', not 'exit': the pipes are drained too, so the last line of the refusal is in `out`.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Stops a child we started: `signal` (SIGTERM by default), SIGKILL after 15 s. Resolves with its exit code. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const gone = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await gone;
  clearTimeout(timer);
  return code;
}
