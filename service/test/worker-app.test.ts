import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { cosineSimilarity, createFacePipeline, type FacePipeline, type FaceSuccess } from '../../sdk/src/node.js';
import { loadPairDataset, imagePath, identityOf, resolveDataset } from '../../benchmarks/lib/dataset.js';
import { requireDatasets } from '../../sdk/test/vision/fixtures.js';
import { changedFiles, filesHolding, ORIGIN_STORAGE, snapshotProfile } from './browser-profile.js';
import { launchChromium } from './chromium.js';
import { framePixels, FRAME, writeY4m } from './fake-camera.js';
import { createHarness, SUPERVISOR, WORKER, type Harness } from './harness.js';

/**
 * The worker app through a THR day in real Chromium at 360×640, its camera Chromium's fake
 * device playing a video made here from lfw-dev photos of one person: sign in with a one-time
 * MPIN and change it, register, consent (notice in Hindi), enrol from the camera, a genuine
 * verification (sent after a network drop), an impostor sent to OTP, sign out. The API confirms
 * each result. Then: nothing left on the device, and sign-out on 401 and on idle.
 */

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/app/', import.meta.url));
const MOBILE = '9876501234';
const NEW_MPIN = '428613';
const SUNITA = { name: 'Sunita Devi Testcase', mobile: '+919800000091' };
// The heap check below looks for whole names and the MPIN. Playwright's own injected script lives
// in the page's heap too, so the test never hands it a whole name or the MPIN: it finds people by
// the first two words of a name and types secrets key by key (CDP input events, not page strings).
const byPrefix = (name: string) => new RegExp(name.split(' ').slice(0, 2).join(' '));
const REKHA = { name: 'Rekha Impostor Testcase', mobile: '+919800000092' };

let h: Harness;
let base: string;
let node: FacePipeline;
let context: BrowserContext;
let page: Page;
let profile: string;
let work: string;
let oneTimeMpin: string;
const secrets: string[] = [];
const pageErrors: string[] = [];

/** A frame the way the fake camera shows it, through the Node pipeline. */
async function nodeFrame(photo: Uint8Array): Promise<FaceSuccess | undefined> {
  const png = await sharp(await framePixels(photo), { raw: { width: FRAME.width, height: FRAME.height, channels: 3 } }).png().toBuffer();
  const r = await node.process(png);
  return r.ok ? r : undefined;
}

/** Person A (two photos that pass every gate in frame and match each other) and impostor B. */
async function pickFaces(): Promise<{ a: Uint8Array[]; b: FaceSuccess }> {
  const ds = await loadPairDataset(resolveDataset(undefined, 'lfw-dev'));
  const byPerson = new Map<string, string[]>();
  for (const rel of ds.images) byPerson.set(identityOf(rel), [...(byPerson.get(identityOf(rel)) ?? []), rel]);
  let a: Uint8Array[] | undefined;
  let b: FaceSuccess | undefined;
  for (const [, rels] of byPerson) {
    if (a && b) break;
    const photos = await Promise.all(rels.slice(0, 2).map((r) => readFile(imagePath(ds, r))));
    const faces = await Promise.all(photos.map(nodeFrame));
    if (!a && photos.length === 2 && faces[0] && faces[1] && cosineSimilarity(faces[0].embedding, faces[1].embedding) > node.matchThreshold + 0.15) a = photos;
    else if (a && !b && faces[0]) b = faces[0];
  }
  assert.ok(a && b, 'lfw-dev has no two faces usable for the camera video');
  return { a, b };
}

/** On a timeout, the screen and the live prompt say what the app was doing. */
async function explained<T>(wait: Promise<T>, name: string): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    await shot(`failed-${name}`).catch(() => undefined);
    const prompt = await page.locator('[data-role="prompt"]').innerText().catch(() => '');
    const alert = await page.locator('.alert').innerText().catch(() => '');
    throw new Error(`${(err as Error).message}\nscreen: prompt "${prompt}", alert "${alert}"`);
  }
}

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const screen = (name: string) => page.waitForSelector(`main[data-screen="${name}"]`);
const outcome = () => page.locator('[data-role="outcome"]').innerText();

before(async () => {
  requireDatasets();
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  node = await createFacePipeline();
  work = mkdtempSync(join(tmpdir(), 'chehra-app-'));
  const faces = await pickFaces();
  await writeY4m(join(work, 'camera.y4m'), faces.a);

  // The worker's account, added by her supervisor; she signs in with the one-time MPIN.
  const added = await h.call('POST', '/v1/users', await h.token(SUPERVISOR), { role: 'worker', mobile: MOBILE, name: 'Anita Worker', awc: 'AWC-001' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  oneTimeMpin = added.body.oneTimeMpin;

  // Rekha, enrolled earlier (from a Node capture of someone else's face): the impostor's target.
  const w = await h.token(WORKER);
  const rekha = await h.call('POST', '/v1/beneficiaries', w, { category: 'lactating', name: REKHA.name, mobile: REKHA.mobile });
  await h.call('POST', `/v1/beneficiaries/${rekha.body.id}/consents`, w, { purpose: 'face_verification', givenBy: 'self', noticeVersion: 'thr-face-2026-01', language: 'hi', method: 'verbal' });
  const enrol = await h.call('POST', `/v1/beneficiaries/${rekha.body.id}/templates`, w, { envelope: h.seal(faces.b.embedding, WORKER.sub) });
  assert.equal(enrol.status, 201, JSON.stringify(enrol.body));

  profile = join(work, 'profile');
  context = await launchChromium({ userDataDir: profile, fakeVideo: join(work, 'camera.y4m') });
  page = watch(context.pages()[0] ?? (await context.newPage()));
});

function watch(p: Page): Page {
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  // Every token the service hands the app is a secret that must not outlive the sign-out.
  p.on('response', async (res) => {
    if (!res.url().includes('/v1/auth/')) return;
    const body = await res.json().catch(() => undefined);
    if (body?.accessToken) secrets.push(body.accessToken, body.refreshToken);
  });
  return p;
}

after(async () => {
  await context?.close();
  await node?.close();
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a THR day in the worker app, each result confirmed by the API', { timeout: 900_000 }, async () => {
  const before = snapshotProfile(profile);
  await page.goto(`${base}/app/`);
  await screen('sign-in');
  await shot('01-sign-in');
  const shell = await page.evaluate(() => (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).concat(performance.getEntriesByType('navigation') as PerformanceResourceTiming[]).reduce((s, r) => s + r.encodedBodySize, 0));
  console.log(`# app shell (page, script, styles): ${shell} bytes on the wire`);
  assert.ok(shell < 100_000, `the app shell is ${shell} bytes`);
  await page.getByRole('button', { name: 'हिन्दी' }).click();
  await shot('02-sign-in-hindi');
  await page.getByRole('button', { name: 'English' }).click();

  // Sign in with the one-time MPIN; a wrong MPIN first.
  await page.locator('input[name=mobile]').fill(MOBILE);
  await page.locator('input[name=mpin]').fill('000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('The mobile number or MPIN is wrong.').waitFor();
  await page.locator('input[name=mpin]').fill(oneTimeMpin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await screen('change-mpin');
  await shot('03-change-mpin');
  await page.locator('input[name=currentMpin]').fill(oneTimeMpin);
  await page.locator('input[name=newMpin]').pressSequentially(NEW_MPIN);
  await page.locator('input[name=repeatMpin]').pressSequentially(NEW_MPIN);
  await page.getByRole('button', { name: 'Save' }).click();
  await screen('list');
  await page.getByText(byPrefix(REKHA.name)).waitFor();

  // Register Sunita; consent with the notice in Hindi; enrol from the camera.
  await page.getByRole('button', { name: 'Register a beneficiary' }).click();
  await screen('register');
  await page.locator('input[name=name]').pressSequentially(SUNITA.name);
  await page.locator('input[name=beneficiaryMobile]').fill(SUNITA.mobile);
  await shot('04-register');
  await page.getByRole('button', { name: 'Next' }).click();
  await screen('consent');
  await page.locator('select[name=consentLanguage]').selectOption('hi');
  await shot('05-consent-hindi');
  await page.getByRole('button', { name: 'She agrees' }).click();
  await screen('beneficiary');
  await page.getByRole('button', { name: 'Take her face photo' }).click();
  await screen('capture');
  // The camera playing, or already done with its frame (on a quiet machine that is quick).
  await page.waitForFunction(() => (document.querySelector('video')?.readyState ?? 0) >= 2 || document.querySelector('main')?.dataset.screen !== 'capture');
  await shot('06-camera');
  await screen('outcome');
  assert.match(await outcome(), /Her face is saved/);
  await shot('07-enrolled');
  const list = await h.call('GET', '/v1/beneficiaries', await h.token(WORKER));
  const sunita = list.body.items.find((b: { name: string }) => b.name === SUNITA.name);
  const detail = await h.call('GET', `/v1/beneficiaries/${sunita.id}`, await h.token(WORKER));
  assert.equal(detail.body.consentActive, true);
  assert.equal(detail.body.templates.length, 1);
  const consents = await h.ctx.db.query<{ language: string; notice_version: string }>('SELECT language, notice_version FROM consents WHERE beneficiary_id = $1', [sunita.id]);
  assert.deepEqual(consents.rows.map((r) => [r.language, r.notice_version]), [['hi', 'thr-face-2026-01']]);

  // Genuine: the network drops as she verifies; the sealed capture waits and goes when it is back.
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('button', { name: byPrefix(SUNITA.name) }).click();
  // Offline from before the capture: the camera and the models work without the network.
  await page.getByRole('button', { name: 'Give ration — check face' }).waitFor();
  await context.setOffline(true);
  await page.getByRole('button', { name: 'Give ration — check face' }).click();
  await screen('capture');
  await explained(page.getByText(/No network\. Your photo is kept for \d+ s/).waitFor({ timeout: 180_000 }), 'offline');
  assert.equal(await page.getByRole('button', { name: 'Give ration without face' }).isVisible(), true);
  await shot('08-offline-waiting');
  await context.setOffline(false);
  await screen('outcome');
  assert.match(await outcome(), /Face matched\. Ration given for/);
  assert.doesNotMatch(await page.locator('main').innerText(), /\d\.\d{2,}/, 'no score on the screen');
  await shot('09-matched');
  const dist = await h.ctx.db.query<{ method: string }>('SELECT method FROM distributions WHERE beneficiary_id = $1', [sunita.id]);
  assert.deepEqual(dist.rows.map((r) => r.method), ['face']);

  // Impostor: Sunita's face for Rekha → no match → OTP at once → delivered.
  await page.getByRole('button', { name: 'Done' }).click();
  await screen('list');
  // The list marks who has this month's ration: Sunita now, Rekha not yet.
  assert.match(await page.getByRole('button', { name: byPrefix(SUNITA.name) }).innerText(), /Ration given this month/);
  assert.doesNotMatch(await page.getByRole('button', { name: byPrefix(REKHA.name) }).innerText(), /Ration given/);
  await page.getByRole('button', { name: byPrefix(REKHA.name) }).click();
  await page.getByRole('button', { name: 'Give ration — check face' }).click();
  await screen('fallback');
  assert.match(await outcome(), /Face did not match/);
  await page.getByRole('button', { name: 'Send OTP to her mobile' }).waitFor();
  await shot('10-no-match-fallback');
  await page.getByRole('button', { name: 'Send OTP to her mobile' }).click();
  await page.locator('input[name=otp]').waitFor();
  const otp = /\b(\d{6})\b/.exec(h.outbox.latestTo(REKHA.mobile)!.text)![1]!;
  await page.locator('input[name=otp]').fill(otp);
  await shot('11-otp');
  await page.getByRole('button', { name: 'Confirm', exact: true }).click();
  await screen('outcome');
  assert.match(await outcome(), /Ration given for/);
  await shot('12-delivered-by-otp');
  const cases = await h.ctx.db.query<{ id: string }>("SELECT id FROM fallback_cases WHERE reason = 'no_match'");
  assert.equal(cases.rows.length, 1);
  const fcase = await h.call('GET', `/v1/fallback-cases/${cases.rows[0]!.id}`, await h.token(WORKER));
  assert.equal(fcase.body.delivered, true);
  assert.equal(fcase.body.method, 'otp');

  // Sign out: back to sign-in; the session is revoked at the service.
  await page.getByRole('button', { name: 'Done' }).click();
  await screen('list');
  assert.match(await page.getByRole('button', { name: byPrefix(REKHA.name) }).innerText(), /Ration given this month/, 'given by OTP counts too');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await screen('sign-in');
  await shot('13-signed-out');
  const revoked = await h.call('GET', '/v1/beneficiaries', secrets.at(-2));
  assert.equal(revoked.status, 401);

  // JS memory: after a collection, no token, name or mobile is left in the page's heap.
  assert.doesNotMatch(await page.locator('body').innerText(), /Sunita|Rekha/);
  const cdp = await context.newCDPSession(page);
  // Detached screens and the browser's own caches go at a later collection, not always the first:
  // up to three collect-and-snapshot rounds, a second apart. Data the app still holds stays in every one.
  let heap = '';
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (e: { chunk: string }) => (heap += e.chunk));
  let held: string[] = [];
  for (let round = 0; round < 3; round++) {
    await cdp.send('HeapProfiler.collectGarbage');
    await new Promise((r) => setTimeout(r, 1000));
    await cdp.send('HeapProfiler.collectGarbage');
    heap = '';
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    held = [...secrets, SUNITA.name, REKHA.name, NEW_MPIN].filter((s) => heap.includes(s)).map((s) => `${s.slice(0, 6)}…`);
    if (held.length === 0) break;
  }
  assert.deepEqual(held, [], 'the heap still holds these after three collections');
  await cdp.detach();

  // Nothing left on the device. On disk first, before anything here asks the browser about
  // storage (asking creates the browser's own bookkeeping files): the app wrote no origin storage
  // and no file holds the day's data.
  await context.close();
  const changed = changedFiles(before, snapshotProfile(profile));
  // Chromium opens its own session-storage and quota databases for any tab; neither may have
  // anything filed under the app's origin.
  const host = new URL(base).host;
  assert.deepEqual(filesHolding(profile, changed.filter((p) => ORIGIN_STORAGE.test(p)), [host]), []);
  assert.deepEqual(filesHolding(profile, changed, [...secrets, SUNITA.name, REKHA.name, SUNITA.mobile.slice(3), REKHA.mobile.slice(3), NEW_MPIN, oneTimeMpin, '/v1/']), []);
  console.log(`# profile: ${changed.length} files written by the browser itself (${changed.filter((p) => /Cache/.test(p)).length} of them its HTTP and code caches of /app/ files; ${changed.filter((p) => ORIGIN_STORAGE.test(p)).join(', ')} empty of the app's origin), none holding the day's data`);
  // Then as the app's origin sees it, in the same profile reopened.
  context = await launchChromium({ userDataDir: profile, fakeVideo: join(work, 'camera.y4m') });
  page = watch(context.pages()[0]!);
  await page.goto(`${base}/app/`);
  const storage = await page.evaluate(async () => ({
    idb: (await indexedDB.databases()).length,
    caches: (await caches.keys()).length,
    local: localStorage.length,
    session: sessionStorage.length,
    workers: (await navigator.serviceWorker.getRegistrations()).length,
  }));
  assert.deepEqual(storage, { idb: 0, caches: 0, local: 0, session: 0, workers: 0 });
  const cdp2 = await context.newCDPSession(page);
  const usage = (await cdp2.send('Storage.getUsageAndQuota', { origin: base })) as { usage: number };
  assert.equal(usage.usage, 0, 'the origin uses no storage');
  await cdp2.detach();
  assert.deepEqual(pageErrors, []);
});

test('the app wipes itself when the service signs her out (401) and after the idle time', { timeout: 300_000 }, async () => {
  await context.setOffline(false);
  await page.goto(`${base}/app/?idle=6`);
  const signIn = async () => {
    await page.locator('input[name=mobile]').fill(MOBILE);
    await page.locator('input[name=mpin]').pressSequentially(NEW_MPIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await screen('list');
    // The list has arrived (its request is not still in flight when the service ends the session).
    await page.locator('.people li').first().waitFor();
  };
  await signIn();
  // The service ends the session (as a supervisor disabling her, or a logout elsewhere would).
  const r = await h.call('POST', '/v1/auth/logout', secrets.at(-2));
  assert.equal(r.status, 204);
  await page.getByRole('button', { name: 'Register a beneficiary' }).click();
  await page.locator('input[name=name]').fill('Meena Testcase');
  await page.getByRole('button', { name: 'Next' }).click();
  await screen('sign-in');
  await page.getByText('You were signed out. Sign in again.').waitFor();
  const rows = await h.ctx.db.query("SELECT 1 FROM beneficiaries WHERE name = 'Meena Testcase'");
  assert.equal(rows.rows.length, 0);

  await signIn();
  await page.waitForTimeout(7000);
  await screen('sign-in');
  await page.getByText('Signed out after a time without use.').waitFor();
  // The idle sign-out ended the sign-in in the service too: its refresh token (the one credential
  // that outlives a dead access token) no longer opens anything.
  const idleRefresh = secrets.at(-1);
  const liveSessions = async () =>
    Number((await h.ctx.db.query<{ n: string }>("SELECT count(*) AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.mobile = $1 AND s.revoked_at IS NULL", [MOBILE.slice(-10)])).rows[0]!.n);
  for (let i = 0; i < 50 && (await liveSessions()) > 0; i++) await page.waitForTimeout(100);
  assert.equal(await liveSessions(), 0, 'no sign-in of hers is left live in the service');
  const refused = await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: idleRefresh });
  assert.equal(refused.body.code, 'session_revoked');
  await shot('14-idle-signed-out');
  assert.doesNotMatch(await page.locator('body').innerText(), /Sunita|Rekha/);
});
