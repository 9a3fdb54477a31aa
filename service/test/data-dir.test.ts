import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHarness } from './harness.js';
import { runServiceToExit, startService } from '../../testkit/service-process.js';

/** Starting the service takes seconds; on a machine shared by many test runs, minutes. */
const SLOW_START_MS = 240_000;
const root = mkdtempSync(join(tmpdir(), 'chehra-datadir-'));
// Readable by the unprivileged user some tests run the service as.
chmodSync(root, 0o755);
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs the service until it exits by itself (a start-up refusal), with its output. */
const runToExit = (env: Record<string, string>, opts: { uid?: number; gid?: number } = {}) => runServiceToExit(env, { ...opts, timeoutMs: SLOW_START_MS });

/** One sentence and a fix, never a stack trace. */
function assertPlainRefusal(r: { code: number | null; out: string }, pattern: RegExp) {
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, pattern);
  assert.match(r.out, /fix: /);
  assert.doesNotMatch(r.out, /^\s+at /m, `a stack trace:\n${r.out}`);
}

test('one embedded database, one process: a second start on the same DATA_DIR refuses and says who holds it', async () => {
  const dataDir = join(root, 'shared');
  mkdirSync(dataDir);
  const first = await startService({ dataDir, timeoutMs: SLOW_START_MS });
  try {
    const second = await runToExit({ DATA_DIR: dataDir });
    assertPlainRefusal(second, new RegExp(`embedded database ${dataDir.replace(/[/.]/g, '\\$&')}/pglite is in use by another Chehra process \\(pid ${first.child.pid}`));
    // The first is unharmed.
    assert.equal((await fetch(`${first.base}/healthz`)).status, 200);
  } finally {
    assert.equal(await first.stop(), 0);
  }
  assert.match(first.output(), /SIGTERM: shutting down — draining requests in flight/);
  assert.match(first.output(), /requests drained, database closed/);
  // Once the first has stopped, the directory is free again.
  const again = await startService({ dataDir, timeoutMs: SLOW_START_MS });
  try {
    assert.equal((await fetch(`${again.base}/healthz`)).status, 200);
  } finally {
    await again.stop();
  }
});

/** Polls until `check` holds; fails with `what` after `ms`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the real process: the development SMS outbox is a loud warning at start; SIGTERM lets a request in flight finish, then closes the database', async () => {
  const dataDir = join(root, 'lifecycle');
  mkdirSync(dataDir);
  // No gateway: the development outbox (an SMS_GATEWAY_URL in the runner's environment is cleared).
  const svc = await startService({ dataDir, timeoutMs: SLOW_START_MS, env: { SMS_GATEWAY_URL: '' } });
  let exit: Promise<number | null> | undefined;
  try {
    const lines = svc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
    const sms = lines.find((l) => l.msg.startsWith('SMS:'));
    assert.ok(sms, 'a start-up line about SMS');
    assert.equal(sms.level, 40, 'a warning, not an info line');
    assert.match(sms.msg, /^SMS: DEVELOPMENT OUTBOX — OTP messages are kept in memory and NOT delivered; GET \/v1\/dev\/outbox shows them\. Set SMS_GATEWAY_URL/);

    // A slow client (a phone on a poor network): the request's headers arrive, its body not yet.
    const body = JSON.stringify({ mobile: '9800000077', mpin: '739164', deviceId: 'device-drain-1' });
    const req = request(`${svc.base}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    const answer = once(req, 'response') as Promise<[IncomingMessage]>;
    req.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 300));

    exit = once(svc.child, 'exit').then(([code]) => code as number | null);
    svc.child.kill('SIGTERM');
    await eventually('the shutdown line', () => svc.output().includes('SIGTERM: shutting down — draining requests in flight'));
    // The server takes no new connection while it drains ...
    await eventually('new connections refused', () => fetch(`${svc.base}/healthz`).then(() => false, () => true));
    assert.equal(svc.child.exitCode, null, 'the process waits for the request in flight');
    assert.doesNotMatch(svc.output(), /requests drained, database closed/);

    // ... and the request in flight, finished now, gets its real answer, not a reset.
    req.end(body.slice(10));
    const [res] = await answer;
    let text = '';
    for await (const chunk of res) text += chunk;
    assert.equal(res.statusCode, 401, text);
    assert.equal(typeof JSON.parse(text).code, 'string');

    assert.equal(await exit, 0);
    assert.match(svc.output(), /stopped in \d+ ms: requests drained, database closed/);
    assert.doesNotMatch(svc.output(), /still running after .* closing their connections/, 'nothing was cut off');
  } finally {
    if (!exit) await svc.stop();
  }
});

test('a DATA_DIR the service cannot write stops the start with the directory and the fix, no stack', async (t) => {
  const isRoot = process.getuid?.() === 0;
  const locked = join(root, 'not-writable');
  mkdirSync(locked, { mode: 0o755 });
  // Root writes anywhere: run the service as nobody, as a production user would run it.
  if (!isRoot) chmodSync(locked, 0o555);
  const r = await runToExit({ DATA_DIR: locked, HOME: root }, isRoot ? { uid: 65534, gid: 65534 } : {});
  if (isRoot && /EPERM.*setuid|spawn/.test(r.out)) return t.skip('cannot drop privileges here');
  assertPlainRefusal(r, new RegExp(`DATA_DIR ${locked.replace(/[/.]/g, '\\$&')} is not writable by this process`));

  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  assertPlainRefusal(await runToExit({ DATA_DIR: file }), /DATA_DIR .*a-file is not a directory/);
});

test('/healthz says what is wrong: a full disk and a missing directory are 503 with their codes', async () => {
  const h = await createHarness();
  try {
    const dataDir = join(root, 'health');
    mkdirSync(dataDir);
    h.ctx.storage = { dirs: [{ path: dataDir, setting: 'DATA_DIR' }], minFreeBytes: 1024 * 1024 };
    const ok = await h.call('GET', '/healthz');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.status, 'ok');

    // More free space demanded than any disk has: the check reads the real statfs figures.
    h.ctx.storage.minFreeBytes = Number.MAX_SAFE_INTEGER;
    const full = await h.call('GET', '/healthz');
    assert.equal(full.status, 503);
    assert.equal(full.body.code, 'disk_full');
    assert.match(full.body.message, /the disk holding DATA_DIR has \d+ MB free/);
    assert.ok(!full.body.message.includes(dataDir), 'a public health check does not name paths');

    h.ctx.storage.minFreeBytes = 1024 * 1024;
    rmSync(dataDir, { recursive: true });
    const gone = await h.call('GET', '/healthz');
    assert.equal(gone.status, 503);
    assert.deepEqual(gone.body.problems.map((p: { code: string }) => p.code), ['storage_missing']);
  } finally {
    await h.close();
  }
});
