import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
