import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Principal } from '../src/auth/principal.js';
import { setMpin } from '../src/db/repositories/users.js';
import { ADMIN, createHarness, enrolledBeneficiary, OTHER_ADMIN, OTHER_AWC_WORKER, OTHER_DISTRICT_WORKER, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';
// The console's dictionary is plain browser JS; Node can import it too.
// @ts-expect-error — service/admin is not part of the TypeScript project
import { DICT } from '../admin/i18n.js';
// @ts-expect-error — as above; app.js joins these labels into the dictionary in the browser
import { SMS_DICT } from '../admin/sms-i18n.js';

/**
 * The district admin console in a real browser (Debian's chromium, driven by playwright-core)
 * against a real service on a real port. Every review done by clicking is checked through the API.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const dict = { en: { ...DICT.en, ...SMS_DICT.en }, hi: { ...DICT.hi, ...SMS_DICT.hi } } as Record<'en' | 'hi', Record<string, string>>;

let h: Harness;
let base: string;
let browser: BrowserContext;
let page: Page;
let userDataDir: string;
const pageErrors: string[] = [];

const ids = { reject: '', approve: '', otherDistrict: '' };
/** Harness accounts given an MPIN, so the console signs in as people do. */
const accounts = { admin: '', otherAdmin: '', worker: '' };
const MPIN = '604712';

/** The harness account of this principal (made by h.token), with MPIN set: her mobile number. */
async function withMpin(p: Principal): Promise<string> {
  await h.token(p);
  await setMpin(h.ctx.db, p.sub, await h.ctx.mpin.hash(MPIN), false);
  return (await h.ctx.db.query<{ mobile: string }>('SELECT mobile FROM users WHERE id = $1', [p.sub])).rows[0]!.mobile;
}
const otpIn = (text: string) => /\b(\d{6})\b/.exec(text)![1]!;

async function register(worker: Principal, name: string, mobile?: string): Promise<string> {
  const res = await h.call('POST', '/v1/beneficiaries', await h.token(worker), { category: 'pregnant', name, ...(mobile ? { mobile } : {}) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

async function openCase(worker: Principal, beneficiaryId: string, reason: string, note?: string): Promise<string> {
  const res = await h.call('POST', '/v1/fallback-cases', await h.token(worker), { beneficiaryId, reason, ...(note ? { note } : {}) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });

  // AWC-001: twelve beneficiaries verified by face, and two fallback cases delivered without one.
  const workerToken = await h.token(WORKER);
  for (let i = 0; i < 12; i++) {
    const { id } = await enrolledBeneficiary(h, syntheticFace(9000 + i, h.dim));
    const v = await h.call('POST', '/v1/verifications', workerToken, { beneficiaryId: id, envelope: h.seal(syntheticFace(9000 + i, h.dim, 0.3, 1), WORKER.sub) });
    assert.equal(v.body.match, true);
  }
  // Delivered by OTP; to be rejected.
  const sunita = await register(WORKER, 'Sunita Kumari', '+919800000011');
  ids.reject = await openCase(WORKER, sunita, 'camera_fault', 'Camera lens cracked; phone sent for repair');
  assert.equal((await h.call('POST', `/v1/fallback-cases/${ids.reject}/otp`, workerToken)).status, 201);
  const otp = otpIn(h.outbox.latestTo('+919800000011')!.text);
  assert.equal((await h.call('POST', `/v1/fallback-cases/${ids.reject}/otp/verify`, workerToken, { otp })).body.delivered, true);
  // Delivered by the supervisor's attestation; to be approved.
  const meena = await register(WORKER, 'Meena Kumari');
  ids.approve = await openCase(WORKER, meena, 'disability_or_injury', 'Burn on the face, bandaged');
  const att = await h.call('POST', `/v1/fallback-cases/${ids.approve}/attestation`, await h.token(SUPERVISOR), { reasonCode: 'home_visit', note: 'Visited her home; I know her' });
  assert.equal(att.body.delivered, true);

  // AWC-002: ten fallbacks and no face delivery — a rate far above the district's, so flagged.
  for (let i = 0; i < 10; i++) {
    const id = await register(OTHER_AWC_WORKER, `Rekha ${i + 1}`);
    await openCase(OTHER_AWC_WORKER, id, i % 2 ? 'poor_quality' : 'camera_fault');
  }
  // The API opens cases now; four of AWC-002's are made five days old so the age filter has work.
  await h.ctx.db.query(`UPDATE fallback_cases SET opened_at = opened_at - interval '5 days' WHERE id IN (SELECT id FROM fallback_cases WHERE awc = 'AWC-002' ORDER BY id LIMIT 4)`);

  // Another district's case, which district D1's admin must never see (and vice versa).
  const kamla = await register(OTHER_DISTRICT_WORKER, 'Kamla Bai');
  ids.otherDistrict = await openCase(OTHER_DISTRICT_WORKER, kamla, 'refused_biometrics');

  accounts.admin = await withMpin(ADMIN);
  accounts.otherAdmin = await withMpin(OTHER_ADMIN);
  accounts.worker = await withMpin(WORKER);

  mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'chehra-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    // These flags keep chromium from calling home on a closed network (and from hanging on it).
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 768 },
    acceptDownloads: true,
    locale: 'en-IN',
    timezoneId: 'Asia/Kolkata',
  });
  // Generous: on a busy 2-core machine a click can wait behind a slow PGlite query.
  browser.setDefaultTimeout(30_000);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() === 404) pageErrors.push(`404: ${r.url()}`);
  });
  page.on('console', (m) => {
    // The 4xx the test provokes are logged by chromium as failed resources (404s are caught above); anything else is a bug.
    if (m.type() === 'error' && !/status of 40[0134]/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await h?.close();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage: true });
const text = (selector: string) => page.locator(selector).innerText();

/** Waits until the element's text contains `needle`. */
async function waitText(selector: string, needle: string): Promise<void> {
  await page.waitForFunction(([s, n]) => (document.querySelector(s!) as HTMLElement | null)?.innerText.includes(n!) ?? false, [selector, needle]);
}

/**
 * Waits until the queue's count reads exactly `count` ("2 cases"). Not waitText: "12 cases"
 * contains "2 cases", so a filter's wait could end on the count before it, and the rows read next
 * are the unfiltered ones (it failed so on a loaded machine).
 */
async function waitCount(count: string): Promise<void> {
  await page.waitForFunction((c) => document.getElementById('queue-count')?.innerText.trim() === c, count);
}

async function signIn(mobile: string, mpin = MPIN): Promise<void> {
  await page.locator('#mobile').fill(mobile);
  await page.locator('#mpin').fill(mpin);
  await page.getByRole('button', { name: dict.en['signin.submit']! }).click();
}

const storedToken = () => page.evaluate(() => sessionStorage.getItem('chehra.admin.token'));

const queueNames = () => page.locator('#queue-table tbody .name').allInnerTexts();

async function reviewThroughApi(id: string) {
  const res = await h.call('GET', `/v1/review/cases/${id}`, await h.token(ADMIN));
  assert.equal(res.status, 200);
  return res.body;
}

test('the console is served at /admin with a strict CSP and no inline script', async () => {
  const redirect = await fetch(`${base}/admin`, { redirect: 'manual' });
  assert.deepEqual([redirect.status, redirect.headers.get('location')], [301, '/admin/']);
  const res = await page.goto(`${base}/admin`);
  assert.equal(page.url(), `${base}/admin/`);
  const csp = res!.headers()['content-security-policy']!;
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res!.headers()['cache-control'], 'no-cache');
  const js = await fetch(`${base}/admin/app.js`);
  assert.match(js.headers.get('content-type')!, /javascript/);
  assert.ok(js.headers.get('etag'));
  // Revalidation is a 304 without the body (fetch() itself would add "cache-control: no-cache" to a conditional request).
  const again = await h.app.inject({ method: 'GET', url: '/admin/app.js', headers: { 'if-none-match': js.headers.get('etag')! } });
  assert.deepEqual([again.statusCode, again.body], [304, '']);
  assert.equal((await fetch(`${base}/admin/../src/app.ts`)).status, 404);
  assert.equal(await page.locator('script:not([src])').count(), 0);
  // Every label exists in Hindi too.
  assert.deepEqual(Object.keys(dict.en).filter((k) => !(k in dict.hi)), []);
});

test('sign-in refuses a malformed number, a wrong MPIN (as an unknown number) and a worker, with the API\u2019s message', async () => {
  await page.locator('#mobile').waitFor();
  await shot('1-signin');
  await signIn('12345');
  await waitText('#signin-error', dict.en['signin.badMobile']!);

  await signIn(accounts.admin, '999999');
  await waitText('#signin-error', 'the mobile number or the MPIN is wrong');
  assert.equal(await page.locator('#mpin').inputValue(), '', 'the MPIN field is cleared');
  assert.equal(await page.locator('#console').isVisible(), false);

  await signIn(accounts.worker);
  await waitText('#signin-error', dict.en['signin.notForRole']!);
  assert.equal(await page.locator('#console').isVisible(), false);
  assert.equal(await storedToken(), null, 'a refused sign-in keeps no token');
});

test('a district admin filters the queue, rejects one case with a note and approves another by clicking', async () => {
  await signIn(accounts.admin);
  await waitCount('12 cases');
  // The token is in this tab's sessionStorage only.
  const token = (await storedToken())!;
  assert.ok(token);
  assert.ok(!(await page.evaluate(() => Object.values(localStorage).join('\n'))).includes(token), 'token in localStorage');
  assert.ok(!(await queueNames()).includes('Kamla Bai'), 'another district\u2019s case in the queue');
  await shot('2-queue');

  // Filter by AWC, then by reason too.
  await page.getByLabel(dict.en['queue.awc']!, { exact: true }).fill('AWC-001');
  await page.getByRole('button', { name: dict.en['queue.apply']! }).click();
  await waitCount('2 cases');
  assert.deepEqual((await queueNames()).sort(), ['Meena Kumari', 'Sunita Kumari']);
  await page.getByLabel(dict.en['queue.reason']!, { exact: true }).selectOption('camera_fault');
  await page.getByRole('button', { name: dict.en['queue.apply']! }).click();
  await waitCount('1 case');
  assert.deepEqual(await queueNames(), ['Sunita Kumari']);
  // Age: only the four cases opened five days ago are at least three days old.
  await page.getByRole('button', { name: dict.en['queue.reset']! }).click();
  await waitCount('12 cases');
  await page.getByLabel(dict.en['queue.minAge']!).fill('3');
  await page.getByRole('button', { name: dict.en['queue.apply']! }).click();
  await waitCount('4 cases');
  assert.ok((await page.locator('#queue-table tbody tr td.num').allInnerTexts()).every((d) => Number(d) >= 5));
  await page.getByLabel(dict.en['queue.minAge']!).fill('');
  await page.getByLabel(dict.en['queue.awc']!, { exact: true }).fill('AWC-001');
  await page.getByRole('button', { name: dict.en['queue.apply']! }).click();
  await waitCount('2 cases');

  // Open Sunita's case: who, when, why, which method, the worker's note, OTP — and no face anywhere.
  await page.getByRole('link', { name: 'Open the case of Sunita Kumari' }).click();
  await waitText('#case-h', 'Case of Sunita Kumari');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'case-h', 'focus moves to the case');
  const body = await text('#case-body');
  for (const s of ['Camera fault', 'Camera lens cracked; phone sent for repair', 'OTP', '1 sent · verified: yes', '******0011', WORKER.sub, 'AWC-001', 'Not flagged']) assert.ok(body.includes(s), `case view lacks "${s}"`);
  // The development outbox delivers nothing: its one OTP message is "accepted", never "delivered".
  assert.deepEqual(await page.locator('#case-body .sms-delivery li').evaluateAll((li) => li.map((e) => (e as HTMLElement).dataset.delivery)), ['accepted']);
  assert.ok(body.includes(`${dict.en['case.smsDelivery']}`) && body.includes(dict.en['sms.accepted']!), 'the OTP SMS delivery status is shown');
  assert.equal(await page.locator('img, canvas, video, picture').count(), 0, 'no image of any kind on the page');
  await shot('3-case');

  // Reject without a note: the API refuses with note_required, the page says so, nothing changes.
  await page.getByRole('button', { name: dict.en['decision.reject']! }).click();
  await waitText('#d-error', 'say why the case is rejected');
  assert.equal(await page.locator('#d-note').getAttribute('aria-invalid'), 'true');
  assert.equal((await reviewThroughApi(ids.reject)).case.reviewStatus, 'pending');
  await page.getByLabel(dict.en['decision.note']!, { exact: true }).fill('Beneficiary was away from the village that day');
  await page.getByRole('button', { name: dict.en['decision.reject']! }).click();
  await waitText('#decision-done', dict.en['decision.rejected']!);
  await waitText('#case-body', 'Flagged for recovery');
  await shot('4-rejected');
  const rejected = await reviewThroughApi(ids.reject);
  assert.equal(rejected.case.reviewStatus, 'rejected');
  assert.equal(rejected.case.reviewNote, 'Beneficiary was away from the village that day');
  assert.equal(rejected.case.reviewedBy, ADMIN.sub);
  assert.equal(rejected.distribution.method, 'otp');
  assert.ok(rejected.distribution.recoveryFlaggedAt, 'the ration is flagged for recovery');

  // Back to the queue (the filters are kept), then open Meena's case from the keyboard and approve it.
  await page.getByRole('link', { name: dict.en['case.close']! }).click();
  await waitCount('1 case');
  await page.getByRole('link', { name: 'Open the case of Meena Kumari' }).focus();
  await page.keyboard.press('Enter');
  await waitText('#case-h', 'Case of Meena Kumari');
  const meena = await text('#case-body');
  for (const s of ['Disability or injury', 'Burn on the face, bandaged', 'Supervisor attestation', SUPERVISOR.sub, 'Home visit', 'Visited her home; I know her', '0 sent · verified: no']) assert.ok(meena.includes(s), `case view lacks "${s}"`);
  await page.getByLabel(dict.en['decision.note']!, { exact: true }).fill('Attested after a home visit');
  await page.getByRole('button', { name: dict.en['decision.approve']! }).click();
  await waitText('#decision-done', dict.en['decision.approved']!);
  const approved = await reviewThroughApi(ids.approve);
  assert.deepEqual([approved.case.reviewStatus, approved.case.reviewNote, approved.distribution.method, approved.distribution.recoveryFlaggedAt], ['approved', 'Attested after a home visit', 'attestation', null]);

  // The queue shows the decisions.
  await page.getByRole('link', { name: dict.en['case.close']! }).click();
  await waitCount('0 cases');
  await page.getByLabel(dict.en['queue.status']!, { exact: true }).selectOption('');
  await page.getByRole('button', { name: dict.en['queue.apply']! }).click();
  await waitCount('2 cases');
  assert.deepEqual((await page.locator('#queue-table tbody .badge').allInnerTexts()).sort(), ['Approved', 'Rejected']);
});

test('the Hindi toggle changes every label, and back', async () => {
  const toggle = page.locator('#lang');
  assert.equal(await toggle.innerText(), 'हिन्दी');
  await toggle.click();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'hi');
  assert.equal(await text('h1'), dict.hi['app.title']);
  assert.equal(await text('#queue-h'), dict.hi['queue.heading']);
  assert.equal(await text('#nav-metrics'), dict.hi['nav.metrics']);
  assert.equal(await page.locator('label[for="f-reason"]').innerText(), dict.hi['queue.reason']);
  assert.deepEqual((await page.locator('#queue-table tbody .badge').allInnerTexts()).sort(), [dict.hi['status.rejected'], dict.hi['status.approved']].sort());
  assert.equal(await page.title(), dict.hi['app.title']);
  await shot('5-hindi');
  await toggle.click();
  assert.equal(await text('h1'), dict.en['app.title']);
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
});

test('exclusion metrics: table and chart render, the flagged AWC is marked, CSV downloads with the token', async () => {
  await page.getByRole('link', { name: dict.en['nav.metrics']! }).click();
  await page.locator('#metrics-table tbody tr[data-awc="AWC-002"]').waitFor();
  const rows = page.locator('#metrics-table tbody tr');
  assert.equal(await rows.count(), 2);
  const flagged = page.locator('#metrics-table tbody tr[data-awc="AWC-002"]');
  assert.match((await flagged.getAttribute('class')) ?? '', /\bflagged\b/);
  assert.match(await flagged.innerText(), /⚑ Flagged/);
  assert.match(await flagged.innerText(), /100%/);
  const calm = page.locator('#metrics-table tbody tr[data-awc="AWC-001"]');
  assert.doesNotMatch((await calm.getAttribute('class')) ?? '', /flagged/);
  assert.match(await calm.innerText(), /\b12\b/); // face deliveries
  assert.match(await text('#metrics-table tfoot'), /50%/); // district: 12 fallbacks in 24 visits
  // The chart: one bar per AWC, the flagged one marked, the district rate drawn.
  assert.equal(await page.locator('#chart svg .bar').count(), 2);
  assert.equal(await page.locator('#chart svg .bar.flagged').getAttribute('data-awc'), 'AWC-002');
  assert.match(await page.locator('#chart svg .bar.flagged .label').textContent() ?? '', /⚑ AWC-002/);
  assert.equal(await page.locator('#chart svg line.district').count(), 1);
  const barWidths = await page.locator('#chart svg .bar rect').evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('width'))));
  assert.ok(barWidths[1]! > barWidths[0]! * 5, `AWC-002's bar is the long one: ${barWidths}`);
  await shot('6-metrics');

  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: dict.en['metrics.csv']! }).click()]);
  assert.equal(dl.suggestedFilename(), 'exclusion-D1.csv');
  const csv = readFileSync((await dl.path())!, 'utf8').trim().split('\n');
  assert.match(csv[0]!, /^district,awc,attempts,face_matches,fallbacks,fallback_rate,z_score,flagged/);
  assert.match(csv.find((l) => l.includes('AWC-002'))!, /^D1,AWC-002,0,0,10,1\.0000,[\d.]+,true,/);
  await waitText('#status', dict.en['metrics.csvDone']!);
});

test("another district's admin sees none of these cases, and is refused one by its link", async () => {
  const before = (await storedToken())!;
  await page.getByRole('button', { name: dict.en['signout']! }).click();
  await page.locator('#mobile').waitFor();
  assert.equal(await storedToken(), null, 'sign-out forgets the token');
  const revoked = await h.call('GET', '/v1/review/cases', before);
  assert.deepEqual([revoked.status, revoked.body.code], [401, 'session_revoked'], 'sign-out ended the session in the service');
  await signIn(accounts.otherAdmin);
  await page.getByRole('link', { name: dict.en['nav.queue']! }).click();
  await page.getByLabel(dict.en['queue.status']!, { exact: true }).selectOption('');
  await page.getByRole('button', { name: dict.en['queue.apply']! }).click();
  await waitCount('1 case');
  assert.deepEqual(await queueNames(), ['Kamla Bai']);
  // A D1 case's link: 403 out_of_scope, shown with the API's message.
  await page.goto(`${base}/admin/#case/${ids.reject}`);
  await waitText('#alert', 'Not allowed:');
  assert.match(await text('#alert'), /this case is outside your district/);
  assert.ok(!(await text('#case-body')).includes('Sunita'));
  await page.getByRole('link', { name: dict.en['nav.metrics']! }).click();
  await page.locator('#metrics-table tbody tr[data-awc="AWC-900"]').waitFor();
  assert.deepEqual(await page.locator('#metrics-table tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-awc'))), ['AWC-900']);
  // And through the API: D9's admin cannot read or decide D1's cases.
  const far = await h.call('GET', `/v1/review/cases/${ids.approve}`, await h.token(OTHER_ADMIN));
  assert.deepEqual([far.status, far.body.code], [403, 'out_of_scope']);
});

test('an expired session goes back to sign-in with the reason; no page errors along the way', async () => {
  await page.getByRole('link', { name: dict.en['nav.queue']! }).click();
  await waitCount('1 case');
  // 20 minutes on: the access token (15 min) has expired; the console refreshes it and carries on.
  h.setNow(new Date(Date.now() + 20 * 60_000));
  const first = await storedToken();
  await page.getByRole('button', { name: dict.en['queue.refresh']! }).click();
  await page.waitForFunction((t) => sessionStorage.getItem('chehra.admin.token') !== t, first);
  await waitCount('1 case');
  assert.equal(await page.locator('#console').isVisible(), true);
  // 13 hours on: the session itself (12 h) has ended; refresh is refused and she is back at sign-in.
  h.setNow(new Date(Date.now() + 13 * 3600_000));
  await page.getByRole('button', { name: dict.en['queue.refresh']! }).click();
  await waitText('#signin-error', dict.en['signin.expired']!);
  assert.equal(await page.locator('#console').isVisible(), false);
  assert.equal(await storedToken(), null);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'mpin', 'her number is kept; the MPIN is asked again');
  await shot('7-expired');
  assert.deepEqual(pageErrors, []);
});
