import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { Principal } from '../src/auth/principal.js';
import { setMpin } from '../src/db/repositories/users.js';
import { launchChromium } from './chromium.js';
import { ADMIN, createHarness, enrolledBeneficiary, OTHER_AWC_WORKER, syntheticFace, WORKER, deliverByAttestation, type Harness } from './harness.js';

/**
 * A district admin's morning in the console, at 1024×600 in Debian's chromium: find a case by name,
 * narrow the queue by date, decide fourteen camera-fault cases at once with one note, go from one
 * decision to the next case, and read why an AWC is flagged — each click checked through the API.
 */

const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const VIEWPORT = { width: 1024, height: 600 };

let h: Harness;
let base: string;
let browser: BrowserContext;
let page: Page;
let userDataDir: string;
let admin: string;
const pageErrors: string[] = [];
const camera: string[] = [];
const ids = { sunita: '', old: '', first: '', second: '' };

async function caseFor(worker: Principal, name: string, reason: string): Promise<string> {
  const token = await h.token(worker);
  const b = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name });
  assert.equal(b.status, 201, JSON.stringify(b.body));
  const c = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: b.body.id, reason });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  // Only a delivered case can be reviewed.
  await deliverByAttestation(h, c.body.id, worker);
  return c.body.id;
}

const api = async (path: string) => (await h.call('GET', path, admin)).body;

before(async () => {
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  admin = await h.token(ADMIN);
  // AWC-002: six rations by face. AWC-001: a broken camera — fourteen fallbacks out of fourteen visits.
  const other = await h.token(OTHER_AWC_WORKER);
  for (let i = 0; i < 6; i++) {
    const { id } = await enrolledBeneficiary(h, syntheticFace(7100 + i, h.dim), { worker: OTHER_AWC_WORKER });
    const v = await h.call('POST', '/v1/verifications', other, { beneficiaryId: id, envelope: h.seal(syntheticFace(7100 + i, h.dim, 0.3, 1), OTHER_AWC_WORKER.sub) });
    assert.equal(v.body.match, true);
  }
  for (let i = 1; i <= 14; i++) camera.push(await caseFor(WORKER, `Camera Case ${String(i).padStart(2, '0')}`, 'camera_fault'));
  ids.sunita = await caseFor(OTHER_AWC_WORKER, 'Sunita Search', 'disability_or_injury');
  ids.old = await caseFor(OTHER_AWC_WORKER, 'Old Lakshmi', 'poor_quality');
  ids.first = await caseFor(OTHER_AWC_WORKER, 'Next One', 'refused_biometrics');
  ids.second = await caseFor(OTHER_AWC_WORKER, 'Next Two', 'refused_biometrics');
  // Opened twelve days ago: outside a "from today" date filter.
  await h.ctx.db.query("UPDATE fallback_cases SET opened_at = opened_at - interval '12 days' WHERE id = $1", [ids.old]);

  mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'chehra-chromium-'));
  browser = await launchChromium({ userDataDir, viewport: VIEWPORT });
  browser.setDefaultTimeout(30_000);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[0-9]/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  // She signs in as people do: her mobile number and MPIN (the harness made her account).
  const MPIN = '604712';
  await setMpin(h.ctx.db, ADMIN.sub, await h.ctx.mpin.hash(MPIN), false);
  const mobile = (await h.ctx.db.query<{ mobile: string }>('SELECT mobile FROM users WHERE id = $1', [ADMIN.sub])).rows[0]!.mobile;
  await page.goto(`${base}/admin/`);
  await page.locator('#mobile').fill(mobile);
  await page.locator('#mpin').fill(MPIN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#queue-table tbody tr[data-case]').first().waitFor();
});

after(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await h?.close();
});

const names = () => page.locator('#queue-table tbody .name').allInnerTexts();
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`) });
/** Fits 1024 px: nothing makes the page scroll sideways (wide tables scroll inside their own box). */
const assertNoSidewaysScroll = async (view: string) => {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= VIEWPORT.width, `${view}: the page is ${w} px wide at ${VIEWPORT.width}`);
};

async function applyFilters(fill: Record<string, string>) {
  await page.locator('#filters button[type="reset"]').click();
  for (const [sel, v] of Object.entries(fill)) await page.locator(sel).fill(v);
  await page.getByRole('button', { name: 'Apply filters' }).click();
}

async function waitForNames(expected: string[]) {
  await page.waitForFunction((n) => [...document.querySelectorAll('#queue-table tbody .name')].map((e) => e.textContent).sort().join('|') === n, expected.sort().join('|'));
}

test('search by name finds her case; a date range leaves out an older one — the same rows as the API', async () => {
  await assertNoSidewaysScroll('queue');
  await applyFilters({ '#f-q': 'sunita' });
  await waitForNames(['Sunita Search']);
  assert.deepEqual((await api('/v1/review/cases?status=pending&q=sunita')).items.map((c: { id: string }) => c.id), [ids.sunita]);

  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(new Date());
  await applyFilters({ '#f-q': 'lakshmi' });
  await waitForNames(['Old Lakshmi']);
  await applyFilters({ '#f-q': 'lakshmi', '#f-from': today });
  await page.locator('#queue-table tbody td.empty').waitFor();
  assert.equal((await api(`/v1/review/cases?status=pending&q=lakshmi&from=${today}`)).total, 0);
  assert.equal((await api('/v1/review/cases?status=pending&q=lakshmi')).total, 1);
  await shot('search');
});

test('fourteen camera-fault cases approved in one go with one note; the decision buttons stay on screen at 600 px', async () => {
  await applyFilters({ '#f-awc': 'AWC-001' });
  await page.locator('#f-reason').selectOption('camera_fault');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#queue-table tbody input.pick').length === 14);

  // An admin's colleague approves one of them meanwhile: the batch is refused whole, and says which.
  await page.locator('#select-page').check();
  assert.equal(await page.locator('#bulk-count').innerText(), '14 selected');
  const box = await page.locator('#bulk button.approve').boundingBox();
  assert.ok(box && box.y + box.height <= VIEWPORT.height, `the approve button is off screen (${JSON.stringify(box)})`);
  await shot('bulk-selected');
  assert.equal((await h.call('POST', `/v1/review/cases/${camera[13]}/decision`, admin, { decision: 'approve', note: 'checked by phone' })).status, 200);
  await page.locator('#bulk-note').fill('Camera lens cracked at AWC-001; replaced on 3 Nov');
  await page.locator('#bulk button.approve').click();
  await page.locator('#bulk-error:not([hidden])').waitFor();
  assert.match(await page.locator('#bulk-error').innerText(), /Nothing was decided: Camera Case 14 cannot be/);
  assert.equal((await api('/v1/review/cases?status=pending&awc=AWC-001')).total, 13, 'nothing decided by the refused batch');

  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#queue-table tbody input.pick').length === 13);
  await page.locator('#select-page').check();
  await page.locator('#bulk-note').fill('Camera lens cracked at AWC-001; replaced on 3 Nov');
  await page.locator('#bulk button.approve').click();
  await page.locator('#queue-table tbody td.empty').waitFor();
  assert.match(await page.locator('#status').innerText(), /13 cases approved/);
  for (const id of camera.slice(0, 13)) {
    const c = (await api(`/v1/review/cases/${id}`)).case;
    assert.deepEqual([c.reviewStatus, c.reviewNote, c.reviewedBy], ['approved', 'Camera lens cracked at AWC-001; replaced on 3 Nov', ADMIN.sub]);
  }
});

test('a bulk rejection without a note is refused and changes nothing', async () => {
  await applyFilters({ '#f-q': 'Next' });
  await waitForNames(['Next One', 'Next Two']);
  await page.locator('#select-page').check();
  await page.locator('#bulk button.reject').click();
  await page.locator('#bulk-error:not([hidden])').waitFor();
  assert.equal(await page.locator('#bulk-note').getAttribute('aria-invalid'), 'true');
  assert.equal((await api('/v1/review/cases?status=pending&q=Next')).total, 2);
  await page.locator('#select-page').uncheck();
  assert.equal(await page.locator('#bulk').isHidden(), true);
});

test('after a decision, "next case" opens the next pending case of the same filtered queue; people appear by name', async () => {
  // People by name: accounts have names (the harness made these two with their ids as names).
  await h.ctx.db.query("UPDATE users SET name = 'Asha Worker' WHERE id = $1", [OTHER_AWC_WORKER.sub]);
  await h.ctx.db.query("UPDATE users SET name = 'Meera Admin' WHERE id = $1", [ADMIN.sub]);
  await page.locator(`#queue-table tbody tr[data-case="${ids.first}"] a`).click();
  await page.locator('#decision').waitFor();
  assert.match(await page.locator('#case-body').innerText(), /Asha Worker \(worker-2\)/);
  assert.equal((await api(`/v1/review/cases/${ids.first}`)).people[OTHER_AWC_WORKER.sub], 'Asha Worker');
  await assertNoSidewaysScroll('case');
  await page.locator('#d-note').fill('Refusal recorded with her signature');
  await page.locator('#decision button.approve').click();
  await page.locator('#next-wrap:not([hidden])').waitFor();
  assert.equal(await page.locator('#next-case').innerText(), 'Next case: Next Two →');
  assert.equal((await api(`/v1/review/cases/${ids.first}`)).case.reviewStatus, 'approved');
  assert.match(await page.locator('#case-body').innerText(), /Meera Admin \(admin-1\)/);
  await shot('next-case');
  await page.locator('#next-case').click();
  await page.waitForURL(`**/#case/${ids.second}`);
  await page.locator('#decision').waitFor();
  await page.locator('#decision button.approve').click();
  await page.locator('#next-none:not([hidden])').waitFor();
  assert.equal((await api(`/v1/review/cases/${ids.second}`)).case.reviewStatus, 'approved');
});

test('the flag says why in words, and the weekly chart shows the week it happened', async () => {
  await page.locator('#nav-metrics').click();
  const row = page.locator('#metrics-table tbody tr[data-awc="AWC-001"]');
  await row.waitFor();
  await assertNoSidewaysScroll('metrics');
  const m = await api('/v1/metrics/exclusion');
  const a = m.awcs.find((x: { awc: string }) => x.awc === 'AWC-001');
  assert.equal(a.flagged, true);
  const words = await row.locator('.why').innerText();
  assert.match(words, /^Fallback rate 100% \(14 of 14 visits\) vs \d+(\.\d)?% at the district’s other AWCs — less than 1 in a million by chance\.$/);
  assert.ok(words.includes(`${Math.round(a.baselineRate * 1000) / 10}%`), `${words} vs baseline ${a.baselineRate}`);
  assert.equal(await page.locator('#metrics-table tbody tr[data-awc="AWC-002"] .why').count(), 0);

  const weekly = await api('/v1/metrics/exclusion/weekly?weeks=12');
  const bars = page.locator('#weekly-chart svg g.week');
  assert.equal(await bars.count(), 12);
  const thisWeek = weekly.weeks.at(-1);
  assert.deepEqual(thisWeek.flaggedAwcs, ['AWC-001']);
  const last = page.locator(`#weekly-chart svg g.week[data-week="${thisWeek.weekStart}"]`);
  assert.match((await last.getAttribute('class')) ?? '', /flagged/);
  assert.equal(await last.locator('.flag-label').textContent(), '⚑ AWC-001');
  await shot('metrics-weekly');
  assert.deepEqual(pageErrors, []);
});
