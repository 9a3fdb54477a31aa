import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { setMpin } from '../src/db/repositories/users.js';
import { CHROMIUM, openBrowser } from './browser.js';
import { ADMIN, CONSENT, createHarness, OTHER_AWC_WORKER, syntheticFace, WORKER, type Harness } from './harness.js';
// @ts-expect-error — service/admin is not part of the TypeScript project
import { DICT } from '../admin/i18n.js';

/**
 * The duplicates queue of the admin console in a real browser against a real service: the pair
 * side by side without a face or a score, a decision needs a note, each decision checked through
 * the API, and the Hindi labels complete.
 */
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const dict = DICT as Record<'en' | 'hi', Record<string, string>>;

let h: Harness;
let base: string;
let browser: Awaited<ReturnType<typeof openBrowser>>;
let page: Page;
const flags: string[] = [];

async function flag(seed: number, a: string, b: string): Promise<string> {
  const ids: string[] = [];
  for (const [worker, name] of [[WORKER, a], [OTHER_AWC_WORKER, b]] as const) {
    const t = await h.token(worker);
    const r = await h.call('POST', '/v1/beneficiaries', t, { category: 'lactating', name, mobile: '+919800000123', birthDate: '1998-04-02' });
    await h.call('POST', `/v1/beneficiaries/${r.body.id}/consents`, t, CONSENT);
    ids.push(r.body.id);
    const e = await h.call('POST', `/v1/beneficiaries/${r.body.id}/templates`, t, { envelope: h.seal(syntheticFace(seed, h.dim, 0.2, ids.length), worker.sub) });
    if (worker === OTHER_AWC_WORKER) {
      assert.equal(e.body.code, 'possible_duplicate');
      return e.body.duplicateFlagId;
    }
  }
  throw new Error('unreachable');
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  flags.push(await flag(71, 'Parvati Devi', 'Parvati D.'), await flag(72, 'Laxmi Bai', 'Laxmi'), await flag(73, 'Savitri', 'Savitri Kumari'));
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await openBrowser({ viewport: { width: 1024, height: 600 } });
  page = browser.page;
});
after(async () => {
  await browser?.close();
  await h?.close();
});

const pair = (id: string) => page.locator(`article.pair[data-flag="${id}"]`);

test('every duplicates label exists in English and Hindi', () => {
  const keys = Object.keys(dict.en).filter((k) => k.startsWith('dup.') || k === 'nav.duplicates');
  assert.ok(keys.length > 20);
  for (const k of keys) assert.ok(dict.hi[k], `hi lacks ${k}`);
});

test('an admin compares each pair side by side and decides with a note; each decision is what the API records', async () => {
  // The admin signs in as people do: her mobile number and MPIN (the harness made her account).
  const MPIN = '604712';
  await h.token(ADMIN);
  await setMpin(h.ctx.db, ADMIN.sub, await h.ctx.mpin.hash(MPIN), false);
  const mobile = (await h.ctx.db.query<{ mobile: string }>('SELECT mobile FROM users WHERE id = $1', [ADMIN.sub])).rows[0]!.mobile;
  await page.goto(`${base}/admin/#duplicates`);
  await page.locator('#mobile').fill(mobile);
  await page.locator('#mpin').fill(MPIN);
  await page.getByRole('button', { name: dict.en['signin.submit']! }).click();
  await page.getByRole('link', { name: dict.en['nav.duplicates']! }).click();
  await page.locator('#dup-list article.pair').first().waitFor();
  assert.equal(await page.locator('#dup-list article.pair').count(), 3);

  const first = pair(flags[0]!);
  const text = await first.innerText();
  for (const needle of ['Parvati Devi', 'Parvati D.', 'AWC-001', 'AWC-002', WORKER.sub, OTHER_AWC_WORKER.sub, dict.en['category.lactating']!]) assert.ok(text.includes(needle), `the pair shows ${needle}`);
  const html = await page.locator('#duplicates').innerHTML();
  assert.ok(!/score|embedding|<img|<canvas/i.test(html), 'no face and no score in the duplicates view');
  await page.screenshot({ path: join(ARTIFACTS, 'admin-duplicates.png'), fullPage: true });

  // No note: the page refuses before asking the service.
  await first.getByRole('button', { name: dict.en['dup.decide.different_people']! }).click();
  await first.locator('.field-error').waitFor();
  assert.equal((await h.call('GET', `/v1/duplicates/${flags[0]}`, await h.token(ADMIN))).body.status, 'open');

  await first.locator('textarea').fill('Two sisters; met both at the centre');
  await first.getByRole('button', { name: dict.en['dup.decide.different_people']! }).click();
  await first.locator('.done').waitFor();
  const a = await h.call('GET', `/v1/duplicates/${flags[0]}`, await h.token(ADMIN));
  assert.deepEqual([a.body.decision, a.body.decidedBy, a.body.decisionNote], ['different_people', ADMIN.sub, 'Two sisters; met both at the centre']);

  const second = pair(flags[1]!);
  await second.locator('textarea').fill('Registered twice');
  await second.getByRole('button', { name: dict.en['dup.decide.same_person']! }).click();
  await second.locator('.done').waitFor();
  const b = await h.call('GET', `/v1/duplicates/${flags[1]}`, await h.token(ADMIN));
  assert.equal(b.body.decision, 'same_person');
  assert.ok(b.body.flagged.closedAt);

  const third = pair(flags[2]!);
  await third.locator('textarea').fill('Same face, two names');
  await third.getByRole('button', { name: dict.en['dup.decide.fraud_suspected']! }).click();
  await third.locator('.worker-enrolments li').first().waitFor();
  assert.ok((await third.locator('.worker-enrolments').innerText()).includes('Savitri Kumari'), "the worker's enrolments are listed");
  const c = await h.call('GET', `/v1/duplicates/${flags[2]}`, await h.token(ADMIN));
  assert.ok(c.body.flagged.fraudFlagged && c.body.candidate.fraudFlagged);

  // Decided pairs leave the open list and show under "Decided".
  await page.locator('#dup-status').selectOption('resolved');
  await page.waitForFunction(() => document.querySelectorAll('#dup-list article.pair').length === 3 && !document.querySelector('#dup-list form'));
  await page.locator('#dup-status').selectOption('open');
  await page.locator('#dup-list .empty').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'admin-duplicates-decided.png'), fullPage: true });
  assert.deepEqual(browser.errors, []);
});
