import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import type { Principal, Role } from '../src/auth/principal.js';
import { ADMIN, AUDITOR, createHarness, enrolledBeneficiary, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

// Issue 10, item 8: a NUL byte, an integer past the column's range, a date outside any sane
// range, a blank name or a path with `..` was a 500. Every route, every field, every such value:
// the edge must answer 4xx (or succeed), never 500. Routes are taken from the app itself, so a
// route added later is fuzzed without editing this file.

let h: Harness;
let beneficiaryId: string;
let caseId: string;
let changeId: string;
before(async () => {
  h = await createHarness({ rateLimits: false });
  beneficiaryId = (await enrolledBeneficiary(h, syntheticFace(4001, h.dim))).id;
  const open = await h.call('POST', '/v1/fallback-cases', await h.token(WORKER), { beneficiaryId, reason: 'camera_fault' });
  caseId = open.body.id;
  changeId = (await h.call('POST', `/v1/beneficiaries/${beneficiaryId}/mobile`, await h.token(WORKER), { mobile: '+919811111111' })).body.id;
});
after(() => h.close());

// The fuzz signs in as accounts of its own (same scopes): whatever a hostile body does to an
// account stays with them. Signing out is left out: it would end the fuzz's own session.
const fuzzer = (p: Principal): Principal => ({ ...p, sub: `fuzz-${p.sub}` });
const PRINCIPALS: Partial<Record<Role, Principal>> = { worker: fuzzer(WORKER), supervisor: fuzzer(SUPERVISOR), district_admin: fuzzer(ADMIN), auditor: fuzzer(AUDITOR), state_admin: fuzzer({ sub: 'state-admin', role: 'state_admin', state: 'S1' } as Principal) };
const NOT_FUZZED = new Set(['/v1/auth/logout']);

const EVIL_TEXT = ['a\u0000b', '\u0000', '   ', '\t\n ', '\ud800', 'x'.repeat(5000), '=HYPERLINK("http://x")', '../../etc/passwd', "'; DROP TABLE beneficiaries; --", '9999-12-31', '0000-01-01', '2026-02-30', '-1'];
const EVIL_NUMBERS = [1e20, 1e30, -1e20, -1, 1.5, 2 ** 31, 2 ** 53 + 2, 0];
const EVIL_SHAPES: unknown[] = [null, true, [], {}, [1, 2], { $gt: '' }];
const EVIL_QUERY = ['1e20', '1e30', '-1e20', '-1', '1.5', 'NaN', 'Infinity', '%00', 'a%00b', '9999-12-31', '0000-01-01', '2999-01-01', '%20%20', '%0d%0a', '..%2f..', '%E0%A4'];

/** A body the route accepts, for the routes whose body needs real ids or a sealed envelope. */
function baseBody(method: string, url: string, sealer: string): Record<string, unknown> | undefined {
  const envelope = () => h.seal(syntheticFace(4100 + Math.floor(Math.random() * 1e6), h.dim), sealer);
  const bodies: Record<string, () => Record<string, unknown>> = {
    'POST /v1/beneficiaries': () => ({ category: 'child_3_6y', name: 'Fuzz', birthDate: '2022-01-01', mobile: '+919800000000', guardian: { name: 'G', relation: 'mother' } }),
    'POST /v1/beneficiaries/:id/consents': () => ({ purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1', language: 'hi', method: 'verbal' }),
    'POST /v1/beneficiaries/:id/consents/withdraw': () => ({ purpose: 'face_verification', reason: 'moved' }),
    'POST /v1/beneficiaries/:id/templates': () => ({ envelope: envelope() }),
    'POST /v1/verifications': () => ({ beneficiaryId, envelope: envelope(), deviceId: 'p1', scheme: 'THR' }),
    'POST /v1/identifications': () => ({ envelope: envelope(), limit: 5 }),
    'POST /v1/fallback-cases': () => ({ beneficiaryId, reason: 'camera_fault', note: 'n', scheme: 'THR' }),
    'POST /v1/fallback-cases/:id/otp/verify': () => ({ otp: '123456' }),
    'POST /v1/fallback-cases/:id/attestation': () => ({ reasonCode: 'home_visit', note: 'visited' }),
    'POST /v1/review/cases/:id/decision': () => ({ decision: 'reject', note: 'why' }),
    'POST /v1/beneficiaries/:id/mobile': () => ({ mobile: '+919822222222', envelope: envelope() }),
    'POST /v1/change-requests/:id/decision': () => ({ decision: 'reject', note: 'why' }),
  };
  return bodies[`${method} ${url}`]?.();
}

/** Every leaf of a body, as a path of keys. */
function leaves(v: unknown, path: string[] = []): string[][] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const out = Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
    return path.length === 0 ? out : [path, ...out];
  }
  return [path];
}
function withValue(body: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  let node = copy as Record<string, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

const idFor = (url: string) => (url.includes('fallback-cases') || url.includes('review/cases') ? caseId : url.includes('change-requests') ? changeId : beneficiaryId);

test('fuzz: every route, every field, hostile values: never a 500', async () => {
  const routes = h.routes.filter((r) => !r.url.startsWith('/admin') && r.method !== 'HEAD' && r.url !== '*' && !NOT_FUZZED.has(r.url));
  assert.ok(routes.length >= 20, `found ${routes.length} routes`);
  const failures: string[] = [];
  let sent = 0;
  const send = async (method: string, url: string, principal: Principal | undefined, payload?: unknown) => {
    sent++;
    const res = await h.app.inject({ method: method as 'GET', url, headers: principal ? { authorization: `Bearer ${await h.token(principal)}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (res.statusCode >= 500) failures.push(`${res.statusCode} ${method} ${url} ${JSON.stringify(payload)?.slice(0, 120)} -> ${res.body.slice(0, 120)}`);
    else if (res.statusCode >= 400) assert.equal(typeof res.json().code, 'string', `${method} ${url}: a 4xx has a code`);
  };
  for (const r of routes as RouteOptions[]) {
    const method = ([r.method].flat().find((m) => m !== 'HEAD') ?? 'GET') as string;
    const roles = r.config && 'roles' in (r.config as object) ? (r.config as { roles: Role[] | 'public' }).roles : 'public';
    const principal = roles === 'public' ? undefined : roles.map((x) => PRINCIPALS[x]).find(Boolean);
    const path = r.url.replace(':id', idFor(r.url));
    // Path parameters.
    if (r.url.includes(':id')) for (const v of EVIL_QUERY) await send(method, r.url.replace(':id', v), principal, method === 'POST' ? baseBody(method, r.url, principal?.sub ?? 'x') ?? {} : undefined);
    // Query strings: every declared property, and one nobody declared.
    const query = (r.schema as { querystring?: { properties?: Record<string, unknown> } } | undefined)?.querystring?.properties ?? {};
    for (const key of [...Object.keys(query), 'undeclared']) for (const v of EVIL_QUERY) await send(method, `${path}?${key}=${v}`, principal, method === 'POST' ? baseBody(method, r.url, principal?.sub ?? 'x') ?? {} : undefined);
    // Bodies: every leaf of a valid body, replaced by every hostile value.
    if (method === 'POST') {
      const base = baseBody(method, r.url, principal?.sub ?? 'x') ?? {};
      for (const leaf of leaves(base)) {
        for (const v of [...EVIL_TEXT, ...EVIL_NUMBERS, ...EVIL_SHAPES]) {
          await send(method, path, principal, withValue(baseBody(method, r.url, principal?.sub ?? 'x') ?? {}, leaf, v));
        }
      }
      for (const v of [...EVIL_TEXT, ...EVIL_SHAPES]) await send(method, path, principal, { ...base, ['extra\u0000key']: v });
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${sent} requests answered 5xx`);
  assert.ok(!h.logs.some((l) => l.includes('"level":50')), 'no error was logged');
});

test('the console path: traversal, encoded dots, NUL and bad escapes are 4xx and never an error log', async () => {
  const logsBefore = h.logs.length;
  for (const url of ['/admin/..', '/admin/../package.json', '/admin/..%2f..%2fpackage.json', '/admin/%2e%2e/%2e%2e/package.json', '/admin/..%5c..%5cpackage.json', '/admin/%00', '/admin/app.js%00', '/admin/....//', '/admin/%', '/admin/%c0%ae%c0%ae/package.json', '/admin/a/../../service/src/app.ts', '/%2e%2e/package.json', '/v1/%']) {
    const res = await h.app.inject({ method: 'GET', url });
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode}`);
    assert.ok(!res.body.includes('"private"') && !res.body.includes('import '), `${url}: no file outside the console`);
    assert.equal(typeof res.json().code, 'string', `${url}: our error shape`);
  }
  assert.ok(!h.logs.slice(logsBefore).some((l) => l.includes('"level":50')), 'no error log for a bad path');
  assert.equal((await h.app.inject({ method: 'GET', url: '/admin/' })).statusCode, 200, 'the console itself still loads');
});

test('dates: a birth date in the future or outside 1900–2099, a period in year 9999: 400', async () => {
  h.setNow(new Date('2027-06-15T12:00:00Z')); // later than now: a token may not predate its session
  try {
    const token = await h.token(WORKER); // minted on the moved clock
    for (const birthDate of ['2027-06-16', '2099-01-01', '9999-12-31', '0000-01-01', '1899-12-31']) {
      const res = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'Date Test', birthDate });
      assert.equal(res.status, 400, birthDate);
      assert.ok(['invalid_request', 'invalid_birth_date'].includes(res.body.code), birthDate);
    }
    assert.equal((await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'Date Test', birthDate: '2027-06-15' })).status, 201, 'today is a birth date');
    const admin = await h.token(ADMIN);
    for (const q of ['from=9999-01-01', 'to=9999-12-31', 'from=0001-01-01&to=2026-01-01']) {
      assert.equal((await h.call('GET', `/v1/metrics/exclusion?${q}`, admin)).status, 400, q);
    }
  } finally {
    h.setNow(undefined);
  }
});

test('names, relations, notes and notice versions must hold more than spaces', async () => {
  const token = await h.token(WORKER);
  for (const body of [
    { category: 'pregnant', name: '   ' },
    { category: 'pregnant', name: '\t\n' },
    { category: 'child_3_6y', name: 'Ravi', guardian: { name: '  ', relation: 'mother' } },
    { category: 'child_3_6y', name: 'Ravi', guardian: { name: 'Sita', relation: ' ' } },
  ]) {
    const res = await h.call('POST', '/v1/beneficiaries', token, body);
    assert.deepEqual([res.status, res.body.code], [400, 'invalid_request'], JSON.stringify(body));
  }
  const consent = await h.call('POST', `/v1/beneficiaries/${beneficiaryId}/consents`, token, { purpose: 'face_verification', givenBy: 'self', noticeVersion: '  ', language: 'hi', method: 'verbal' });
  assert.deepEqual([consent.status, consent.body.code], [400, 'invalid_request']);
  const attest = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, await h.token(SUPERVISOR), { reasonCode: 'home_visit', note: '   ' });
  assert.deepEqual([attest.status, attest.body.code], [400, 'invalid_request']);
});
