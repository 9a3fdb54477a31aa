import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { bootstrapUser } from '../src/identity/bootstrap-user.js';
import { createHarness, IDENTITY_TABLES, rowCounts, type Harness } from './harness.js';
import { launchChromium } from './chromium.js';
import { signIn as apiSignIn } from './identity-helpers.js';
// @ts-expect-error — service/admin is not part of the TypeScript project
import { DICT } from '../admin/i18n.js';

/**
 * The console's identity pages in a real browser: first sign-in with a one-time MPIN (must be
 * changed), the Users page (list, add, reset MPIN, disable), a supervisor's Users-only console.
 * Every change made by clicking is checked through the API and the database.
 */

const dict = DICT as Record<'en' | 'hi', Record<string, string>>;
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
let h: Harness;
let base: string;
let page: Page;
let browser: BrowserContext;
let userDataDir: string;
const pageErrors: string[] = [];
let oneTime: string;

before(async () => {
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  ({ oneTimeMpin: oneTime } = await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'district_admin', mobile: '9500000001', name: 'Asha Singh', state: 'S1', district: 'D1' }));
  userDataDir = mkdtempSync(join(tmpdir(), 'chehra-chromium-'));
  browser = await launchChromium({ userDataDir, viewport: { width: 1366, height: 768 } });
  browser.setDefaultTimeout(30_000);
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // The 4xx the test provokes are logged by chromium as failed resources; anything else is a bug.
    if (m.type() === 'error' && !/status of 4[0-9][0-9]/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await h?.close();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `admin-users-${name}.png`), fullPage: true });
async function waitText(selector: string, needle: string): Promise<void> {
  await page.waitForFunction(([s, n]) => (document.querySelector(s!) as HTMLElement | null)?.innerText.includes(n!) ?? false, [selector, needle]);
}
async function signIn(mobile: string, mpin: string) {
  await page.locator('#mobile').fill(mobile);
  await page.locator('#mpin').fill(mpin);
  await page.getByRole('button', { name: dict.en['signin.submit']! }).click();
}
const userRow = (name: string) => page.locator('#users-table tbody tr', { hasText: name });

test('first sign-in with a one-time MPIN: she must set her own (weak ones refused) before the console opens', async () => {
  await page.goto(`${base}/admin/`);
  await signIn('9500000001', oneTime);
  await page.locator('#mpin-change').waitFor();
  assert.equal(await page.locator('#console').isVisible(), false);
  await shot('1-mpin-change');
  await page.locator('#mpin-new').fill('123456');
  await page.locator('#mpin-again').fill('123456');
  await page.getByRole('button', { name: dict.en['mpin.submit']! }).click();
  await waitText('#mpin-error', 'sequence');
  await page.locator('#mpin-new').fill('604712');
  await page.locator('#mpin-again').fill('604713');
  await page.getByRole('button', { name: dict.en['mpin.submit']! }).click();
  await waitText('#mpin-error', dict.en['mpin.mismatch']!);
  await page.locator('#mpin-new').fill('604712');
  await page.locator('#mpin-again').fill('604712');
  await page.getByRole('button', { name: dict.en['mpin.submit']! }).click();
  await page.locator('#console').waitFor();
  await waitText('#who', 'Asha Singh');
  // The one-time MPIN is dead, the new one works.
  assert.equal((await apiSignIn(h, '9500000001', oneTime)).body.code, 'invalid_credentials');
  assert.equal((await apiSignIn(h, '9500000001', '604712')).status, 200);
});

test('Users: add a supervisor and a worker (one-time MPIN shown once), reset an MPIN, disable — each checked through the API', async () => {
  await page.getByRole('link', { name: dict.en['nav.users']! }).click();
  await page.locator('#users-h').waitFor();
  await waitText('#users', dict.en['users.none']!);
  assert.doesNotMatch(await page.locator('#users').innerText(), /\bnull\b|undefined/, 'nothing but labels and data on the page');

  await page.locator('#u-role').selectOption('supervisor');
  assert.equal(await page.locator('#u-awc').isVisible(), false, 'a supervisor has a sector, not one AWC');
  await page.locator('#u-name').fill('Kavita Rao');
  await page.locator('#u-mobile').fill('9500000002');
  await page.locator('#u-awcs').fill('AWC-001, AWC-002');
  await page.getByRole('button', { name: dict.en['users.submit']! }).click();
  await page.locator('#one-time-mpin').waitFor();
  const supMpin = await page.locator('#one-time-mpin').innerText();
  assert.match(supMpin, /^[0-9]{6}$/);
  await shot('2-added');
  await page.getByRole('button', { name: dict.en['users.done']! }).click();
  assert.equal(await page.locator('#one-time-mpin').count(), 0, 'gone after Done');
  await waitText('#users-table', 'AWC-001, AWC-002 / D1 / S1');

  // A bad number is caught in the page; a number already taken by the service.
  const before = await rowCounts(h.ctx.db, IDENTITY_TABLES);
  await page.locator('#u-role').selectOption('worker');
  await page.locator('#u-name').fill('Sunita');
  await page.locator('#u-mobile').fill('12345');
  await page.getByRole('button', { name: dict.en['users.submit']! }).click();
  await waitText('#user-error', dict.en['signin.badMobile']!);
  await page.locator('#u-mobile').fill('9500000002');
  await page.locator('#u-awc').fill('AWC-001');
  await page.getByRole('button', { name: dict.en['users.submit']! }).click();
  await waitText('#user-error', 'already has an account');
  assert.deepEqual(await rowCounts(h.ctx.db, IDENTITY_TABLES), before, 'nothing written');

  await page.locator('#u-mobile').fill('9500000003');
  await page.getByRole('button', { name: dict.en['users.submit']! }).click();
  await page.locator('#one-time-mpin').waitFor();
  const workerMpin = await page.locator('#one-time-mpin').innerText();
  await page.getByRole('button', { name: dict.en['users.done']! }).click();
  const first = await apiSignIn(h, '9500000003', workerMpin);
  assert.deepEqual([first.status, first.body.mustChangeMpin, first.body.user.awc, first.body.user.state], [200, true, 'AWC-001', 'S1']);

  await userRow('Sunita').getByRole('button', { name: dict.en['users.reset']! }).click();
  await waitText('#mpin-reveal', 'Sunita');
  const reset = await page.locator('#one-time-mpin').innerText();
  assert.notEqual(reset, workerMpin);
  assert.equal((await apiSignIn(h, '9500000003', workerMpin)).body.code, 'invalid_credentials');
  assert.equal((await h.call('GET', '/v1/beneficiaries', first.body.accessToken)).body.code, 'session_revoked', 'the reset ended her session');

  const live = await apiSignIn(h, '9500000003', reset);
  await userRow('Sunita').getByRole('button', { name: dict.en['users.disable']! }).click();
  await waitText('#status', 'was disabled');
  await waitText('#users-table', dict.en['users.disabled']!);
  assert.equal(await userRow('Sunita').getByRole('button').count(), 0, 'no actions on a disabled account');
  assert.equal((await h.call('POST', '/v1/auth/mpin', live.body.accessToken, { currentMpin: reset, newMpin: '815263' })).body.code, 'user_disabled');
  await shot('3-users');

  // The supervisor signs in, sets her MPIN, and sees the Users page only, with her sector's AWCs to choose from.
  await page.getByRole('button', { name: dict.en['signout']! }).click();
  await signIn('9500000002', supMpin);
  await page.locator('#mpin-new').fill('692047');
  await page.locator('#mpin-again').fill('692047');
  await page.getByRole('button', { name: dict.en['mpin.submit']! }).click();
  await page.locator('#users-h').waitFor();
  assert.equal(await page.locator('#nav-queue').isVisible(), false);
  assert.deepEqual(await page.locator('#u-role option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), ['worker']);
  assert.deepEqual(await page.locator('#u-awc option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), ['AWC-001', 'AWC-002']);
  await waitText('#users-table', 'Sunita');
  assert.doesNotMatch(await page.locator('#users').innerText(), /\bnull\b|undefined/);
  assert.deepEqual(pageErrors, []);
});

test('sign-out after a break longer than the access token ends the session in the service, refresh token and all', async () => {
  // The supervisor of the test above is signed in; 20 minutes pass without a request.
  const refreshToken = await page.evaluate(() => sessionStorage.getItem('chehra.admin.refresh'));
  assert.match(refreshToken ?? '', /^rt_/);
  h.setNow(new Date(Date.now() + 20 * 60_000));
  try {
    await page.getByRole('button', { name: dict.en['signout']! }).click();
    await page.locator('#mobile').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('chehra.admin.refresh')), null, 'forgotten in the tab');
    const refused = await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken });
    assert.deepEqual([refused.status, refused.body.code], [401, 'session_revoked'], 'and ended in the service');
    const ended = await h.ctx.db.query("SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.mobile = '9500000002' AND s.revoked_at IS NULL");
    assert.equal(ended.rows.length, 0, 'no live session of hers is left');
  } finally {
    h.setNow(undefined);
  }
  assert.deepEqual(pageErrors, []);
});

test('no MPIN, hash or refresh token in the service log', async () => {
  const logs = h.logs.join('\n');
  for (const s of ['604712', '692047', oneTime]) assert.doesNotMatch(logs, new RegExp(`(?<![0-9])${s}(?![0-9])`));
  assert.doesNotMatch(logs, /rt_[A-Za-z0-9_-]{43}|scrypt\$/);
});
