import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as contract from '@chehra/contract';
import Fastify, { type FastifyInstance } from 'fastify';
import { contractEnums } from '../src/admin-contract.js';
import { MANAGES, MAY_RESET } from '../src/identity/user-admin.js';
import { ADMIN_CSP, adminConsoleRoutes } from '../src/routes/admin-console.js';

/**
 * "One enum in one place" for the console: its lists come from /admin/contract.js, which the
 * service makes from @chehra/contract and identity/user-admin.ts, and service/admin holds no copy.
 * (The console tests in Chromium prove the pages work with the module: admin-console*.test.ts,
 * admin-users.test.ts, admin-duplicates.test.ts.)
 */

const ADMIN = fileURLToPath(new URL('../admin/', import.meta.url));
let app: FastifyInstance;
before(async () => {
  app = Fastify();
  await app.register(adminConsoleRoutes);
  await app.ready();
});
after(() => app.close());

/** The served module, imported as the browser would import it. */
async function served(): Promise<Record<string, unknown>> {
  const res = await app.inject({ method: 'GET', url: '/admin/contract.js' });
  assert.equal(res.statusCode, 200);
  return import(`data:text/javascript;base64,${Buffer.from(res.body).toString('base64')}`);
}

test('/admin/contract.js is a script of this origin under the console CSP, revalidated by ETag', async () => {
  const res = await app.inject({ method: 'GET', url: '/admin/contract.js' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/javascript/);
  assert.equal(res.headers['content-security-policy'], ADMIN_CSP);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['cache-control'], 'no-cache');
  const etag = String(res.headers.etag);
  assert.match(etag, /^"[\w-]{27}"$/);
  const again = await app.inject({ method: 'GET', url: '/admin/contract.js', headers: { 'if-none-match': etag } });
  assert.deepEqual([again.statusCode, again.body], [304, '']);
  assert.equal((await app.inject({ method: 'GET', url: '/admin/contract.js', headers: { 'if-none-match': '"old"' } })).statusCode, 200);
});

test("the served module holds every enumeration of the contract and the service's who-manages-whom rule, frozen", async () => {
  const m = await served();
  const enums = contractEnums();
  // The known lists are found (the filter does not miss one), and each is served as it is.
  for (const name of ['FALLBACK_REASONS', 'DUPLICATE_DECISIONS', 'DUPLICATE_FLAG_STATUSES', 'REVIEW_STATUSES', 'ROLES', 'CATEGORIES', 'SMS_STATUSES']) {
    assert.deepEqual(enums[name], (contract as Record<string, unknown>)[name], name);
  }
  for (const [name, values] of Object.entries(enums)) assert.deepEqual(m[name], [...values], name);
  assert.deepEqual(m.MANAGES, MANAGES);
  assert.deepEqual(m.MAY_RESET, MAY_RESET);
  assert.deepEqual(m.CONSOLE_ROLES, ['supervisor', 'district_admin', 'state_admin']);
  assert.deepEqual(Object.keys(m).sort(), [...Object.keys(enums), 'CONSOLE_ROLES', 'MANAGES', 'MAY_RESET'].sort());
  assert.ok(Object.isFrozen(m.FALLBACK_REASONS) && Object.isFrozen(m.MANAGES) && Object.isFrozen((m.MANAGES as Record<string, unknown>).district_admin));
});

/** Every list of two or more quoted strings in a source text: `['a', 'b']` in JS, `<option value="a">` runs in HTML. */
function literalLists(source: string): string[][] {
  const arrays = [...source.matchAll(/\[\s*(['"][^'"\n]*['"](?:\s*,\s*['"][^'"\n]*['"])+)\s*,?\s*\]/g)].map((a) => [...a[1]!.matchAll(/['"]([^'"\n]*)['"]/g)].map((s) => s[1]!));
  const selects = [...source.matchAll(/<select[^>]*>([\s\S]*?)<\/select>/g)].map((s) => [...s[1]!.matchAll(/<option value="([^"]*)"/g)].map((o) => o[1]!).filter(Boolean));
  return [...arrays, ...selects].filter((l) => l.length >= 2);
}

test('the guard below finds a copied list, in JS and in HTML', () => {
  assert.deepEqual(literalLists(`const REASONS = ['no_consent', 'no_match'];`), [['no_consent', 'no_match']]);
  assert.deepEqual(literalLists(`<select id="s"><option value="open" data-i18n="x"></option><option value="resolved"></option></select>`), [['open', 'resolved']]);
});

test('service/admin holds no literal copy of an enumeration or of the user-admin rule', () => {
  const lists = Object.values(contractEnums());
  const files = readdirSync(ADMIN).filter((f) => f.endsWith('.js') || f.endsWith('.html'));
  assert.ok(files.includes('app.js') && files.includes('index.html'));
  const copies: string[] = [];
  for (const file of files) {
    const source = readFileSync(ADMIN + file, 'utf8');
    for (const list of literalLists(source)) {
      // Two or more values that all belong to one enumeration: a copy of (part of) it.
      if (lists.some((e) => list.every((v) => e.includes(v)))) copies.push(`${file}: [${list.join(', ')}]`);
    }
    // An object keyed by role names (MANAGES) is the user-admin rule copied.
    if (/\b(?:worker|supervisor|district_admin|state_admin|auditor)\s*:\s*\[/.test(source)) copies.push(`${file}: a role-keyed object`);
  }
  assert.deepEqual(copies, []);
  for (const file of ['app.js', 'duplicates.js', 'users.js']) {
    assert.match(readFileSync(ADMIN + file, 'utf8'), /from '\.\/contract\.js'/, `${file} imports its lists from the served contract`);
  }
});
