import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import type { Principal, Role } from '../src/auth/principal.js';
import { ADMIN, AUDITOR, CONSENT, createHarness, rowCounts, enrolledBeneficiary, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

// Issue 10, item 8: a NUL byte, an integer past the column's range, a date outside any sane
// range, a blank name or a path with `..` was a 500. Every route, every field, every such value:
// the edge must answer 4xx (or succeed), never 500. Routes are taken from the app itself, so a
// route added later is fuzzed without editing this file.

let h: Harness;
let beneficiaryId: string;
let childId: string;
let caseId: string;
let changeId: string;
let flagId: string;
let userId: string;
let auntId: string;
let verificationId: string;
before(async () => {
  h = await createHarness({ rateLimits: false });
  const worker = await h.token(WORKER);
  beneficiaryId = (await enrolledBeneficiary(h, syntheticFace(4001, h.dim))).id;
  const open = await h.call('POST', '/v1/fallback-cases', worker, { beneficiaryId, reason: 'camera_fault' });
  caseId = open.body.id;
  changeId = (await h.call('POST', `/v1/beneficiaries/${beneficiaryId}/mobile`, worker, { mobile: '+919811111111' })).body.id;
  // A baby whose guardian is the beneficiary above (for the guardian routes).
  childId = (await h.call('POST', '/v1/beneficiaries', worker, { category: 'child_6m_3y', name: 'Fuzz Baby', birthDate: new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10), guardian: { name: 'Asha Devi', relation: 'mother' } })).body.id;
  assert.equal((await h.call('POST', `/v1/beneficiaries/${childId}/consents`, worker, { ...CONSENT, givenBy: 'guardian' })).status, 201);
  assert.equal((await h.call('POST', `/v1/beneficiaries/${childId}/guardians`, worker, { guardianId: beneficiaryId, relation: 'mother' })).status, 201);
  // Someone to link as a further guardian (with the first one's face as the second person).
  auntId = (await enrolledBeneficiary(h, syntheticFace(4004, h.dim), { enrol: false })).id;
  // A failed verification of this month, for a fallback case's evidence.
  verificationId = (await h.call('POST', '/v1/verifications', worker, { beneficiaryId, envelope: h.seal(syntheticFace(4005, h.dim), WORKER.sub) })).body.verificationId;
  assert.ok(verificationId);
  // A possible duplicate (the same face enrolled twice), for the duplicate decision.
  const twin = await enrolledBeneficiary(h, syntheticFace(4002, h.dim));
  const again = await enrolledBeneficiary(h, syntheticFace(4002, h.dim), { enrol: false });
  flagId = (await h.call('POST', `/v1/beneficiaries/${again.id}/templates`, worker, { envelope: h.seal(syntheticFace(4002, h.dim, 0.3, 1), WORKER.sub) })).body.duplicateFlagId;
  assert.ok(twin.id && flagId);
  // An account the fuzz may disable and reset: not one the tests sign in as.
  userId = (await h.call('POST', '/v1/users', await h.token(SUPERVISOR), { role: 'worker', mobile: '9876500009', name: 'Fuzz Target', awc: 'AWC-001' })).body.user.id;
});
after(() => h.close());

// The fuzz signs in as accounts of its own (same scopes): whatever a hostile body does to an
// account stays with them. Signing out is left out: it would end the fuzz's own session.
const fuzzer = (p: Principal): Principal => ({ ...p, sub: `fuzz-${p.sub}` });
const PRINCIPALS: Partial<Record<Role, Principal>> = { worker: fuzzer(WORKER), supervisor: fuzzer(SUPERVISOR), district_admin: fuzzer(ADMIN), auditor: fuzzer(AUDITOR), state_admin: fuzzer({ sub: 'state-admin', role: 'state_admin', state: 'S1' } as Principal) };
const NOT_FUZZED = new Set(['/v1/auth/logout']);

const EVIL_TEXT = ['a\u0000b', '\u0000', '\u0007bell', '\u001b[31mred', '   ', '\t\n ', '\ud800', 'x'.repeat(5000), '=HYPERLINK("http://x")', '../../etc/passwd', "'; DROP TABLE beneficiaries; --", '9999-12-31', '0000-01-01', '1899-12-31', '2026-02-30', '2099-01-01', '-1'];
const EVIL_NUMBERS = [1e20, 1e30, -1e20, -1, 1.5, 2 ** 31, 2 ** 53 + 2, 0];
const EVIL_SHAPES: unknown[] = [null, true, [], {}, [1, 2], { $gt: '' }];
const EVIL_QUERY = ['1e20', '1e30', '-1e20', '-1', '1.5', 'NaN', 'Infinity', '%00', 'a%00b', '9999-12-31', '0000-01-01', '2999-01-01', '%20%20', '%0d%0a', '..%2f..', '%E0%A4'];

/**
 * Bodies each route accepts (or refuses only for what it is: a case already decided, a link
 * already made), so that every field can be replaced by a hostile value while the rest stays valid.
 * Every route that declares a body must be here, and together its bodies must hold every field it
 * declares: the fuzz fails otherwise. A field that excludes another (one capture or several; a
 * worker's AWC or a supervisor's AWCs) gets a body of its own, sent as the role that may use it.
 */
type Base = { body: Record<string, unknown>; as?: Role };
function baseBodies(method: string, url: string, sealer: string): Base[] | undefined {
  const envelope = (seed = 4100 + Math.floor(Math.random() * 1e6)) => h.seal(syntheticFace(seed, h.dim), sealer);
  const one = (body: Record<string, unknown>): Base[] => [{ body }];
  const bodies: Record<string, () => Base[]> = {
    'POST /v1/auth/login': () => one({ mobile: '9876500002', mpin: '482913', deviceId: 'fuzz-device-1' }),
    'POST /v1/auth/refresh': () => one({ refreshToken: `rt_${'A'.repeat(43)}` }),
    'POST /v1/auth/mpin': () => one({ currentMpin: '482913', newMpin: '593024' }),
    'POST /v1/users': () => [
      { body: { role: 'worker', mobile: '9876500001', name: 'Fuzz Worker', awc: 'AWC-001' } },
      { as: 'district_admin', body: { role: 'supervisor', mobile: '9876500003', name: 'Fuzz Supervisor', awcs: ['AWC-001'] } },
      { as: 'state_admin', body: { role: 'district_admin', mobile: '9876500004', name: 'Fuzz Admin', district: 'D7' } },
    ],
    'POST /v1/beneficiaries': () => one({ category: 'child_3_6y', name: 'Fuzz', birthDate: '2022-01-01', mobile: '+919800000000', guardian: { name: 'G', relation: 'mother' } }),
    'POST /v1/beneficiaries/:id/consents': () => one({ purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1', language: 'hi', method: 'verbal' }),
    'POST /v1/beneficiaries/:id/consents/withdraw': () => one({ purpose: 'face_verification', reason: 'moved' }),
    'POST /v1/beneficiaries/:id/templates': () => [{ body: { envelope: envelope() } }, { body: { envelopes: [envelope(4006), envelope(4006)] } }],
    'POST /v1/beneficiaries/:id/category': () => one({ category: 'lactating' }),
    'POST /v1/beneficiaries/:id/guardians': () => one({ guardianId: auntId, relation: 'aunt', since: '2025-06-01', existingGuardianId: beneficiaryId, envelope: envelope(4001) }),
    'POST /v1/beneficiaries/:id/mobile': () => one({ mobile: '+919822222222', envelope: envelope() }),
    'POST /v1/guardian-visits': () => one({ guardianId: beneficiaryId, childIds: [childId], envelope: envelope(), deviceId: 'p1', scheme: 'THR' }),
    'POST /v1/verifications': () => one({ beneficiaryId, envelope: envelope(), deviceId: 'p1', scheme: 'THR' }),
    'POST /v1/identifications': () => one({ envelope: envelope(), limit: 5 }),
    'POST /v1/fallback-cases': () => one({ beneficiaryId, reason: 'camera_fault', note: 'n', scheme: 'THR', verificationId }),
    'POST /v1/fallback-cases/:id/otp/verify': () => one({ otp: '123456' }),
    'POST /v1/fallback-cases/:id/attestation': () => one({ reasonCode: 'home_visit', note: 'visited' }),
    'POST /v1/review/cases/:id/decision': () => one({ decision: 'reject', note: 'why' }),
    'POST /v1/review/decisions': () => one({ caseIds: [caseId], decision: 'reject', note: 'why' }),
    'POST /v1/change-requests/:id/decision': () => one({ decision: 'reject', note: 'why' }),
    'POST /v1/duplicates/:id/decision': () => one({ decision: 'different_people', note: 'checked the records' }),
  };
  return bodies[`${method} ${url}`]?.();
}
const baseBody = (method: string, url: string, sealer: string) => baseBodies(method, url, sealer)?.[0]?.body;

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

const idFor = (url: string) =>
  url.includes('fallback-cases') || url.includes('review/cases') ? caseId
  : url.includes('change-requests') ? changeId
  : url.includes('duplicates') ? flagId
  : url.includes('/users/') ? userId
  : url.endsWith('/guardians') ? childId
  : beneficiaryId;

type Schema = { type?: string; anyOf?: Schema[]; enum?: unknown[]; format?: string; pattern?: string; minLength?: number; maxLength?: number; minimum?: number; maximum?: number; minItems?: number; maxItems?: number; items?: Schema; properties?: Record<string, Schema>; required?: string[] };

/** The schema of a body field, and whether its parent object requires it. */
function fieldSchema(body: Schema, path: string[]): { schema?: Schema; required: boolean } {
  let node: Schema | undefined = body;
  let required = true;
  for (const k of path) {
    required = node?.required?.includes(k) ?? false;
    node = node?.properties?.[k];
  }
  return { schema: node, required };
}

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const typesOf = (s: Schema): string[] => (s.anyOf ? s.anyOf.flatMap(typesOf) : s.enum ? ['string'] : s.type ? [s.type] : []);
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/;
/** Today in India, YYYY-MM-DD: a day in a request body (a birth, the start of a guardianship) has happened. */
const today = () => new Date(h.ctx.clock().getTime() + 330 * 60_000).toISOString().slice(0, 10);
const realDay = (v: string) => /^(19|20)\d\d-\d\d-\d\d$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;

/**
 * Why this value must be refused at the edge (400), or undefined when the route may accept it.
 * Rules about what a field means, not its schema read back: required text is never blank, a day
 * in a body is a real day of 1900–2099 that is not in the future, integers fit their column, no
 * control character or broken Unicode, the declared types, enums, formats and lengths.
 */
function mustRefuse(field: { schema?: Schema; required: boolean }, v: unknown): string | undefined {
  const s = field.schema;
  if (!s) return undefined;
  const types = typesOf(s);
  const t = jsonType(v);
  if (types.length > 0 && !types.includes(t) && !(t === 'integer' && types.includes('number'))) return `a ${t} where ${types.join('|')} is declared`;
  const str = s.anyOf?.find((x) => x.type === 'string') ?? s;
  if (typeof v === 'string') {
    if (CONTROL.test(v)) return 'control characters or broken Unicode';
    if (v.length > (str.maxLength ?? 4096)) return 'longer than its maximum';
    if (str.enum && !str.enum.includes(v)) return 'not one of its values';
    if (field.required && v.trim() === '') return 'blank text in a required field';
    if (str.format === 'date' && (!realDay(v) || v > today())) return 'not a day that has happened (1900 to today)';
    if (str.format === 'uuid' && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return 'not a uuid';
    if (str.pattern && !new RegExp(str.pattern, 'u').test(v)) return 'does not match its pattern';
    if (v.length < (str.minLength ?? 0)) return 'shorter than its minimum';
  }
  if (typeof v === 'number' && types.includes('integer') && (!Number.isInteger(v) || v > (s.maximum ?? 2 ** 31 - 1) || v < (s.minimum ?? -(2 ** 31)))) return 'outside the integer range';
  if (Array.isArray(v) && (v.length < (s.minItems ?? 0) || v.length > (s.maxItems ?? Infinity) || (s.items && v.some((x) => !typesOf(s.items!).includes(jsonType(x)))))) return 'an array of the wrong size or items';
  if (t === 'object' && s.required?.some((k) => !(k in (v as object)))) return 'an object without its required fields';
  return undefined;
}

test('fuzz: every route, every field, hostile values: never a 500, and refused at the edge what no field may hold', async () => {
  const routes = h.routes.filter((r) => !r.url.startsWith('/admin') && r.method !== 'HEAD' && r.url !== '*' && !NOT_FUZZED.has(r.url));
  assert.ok(routes.length >= 20, `found ${routes.length} routes`);
  const failures: string[] = [];
  let sent = 0;
  const send = async (method: string, url: string, principal: Principal | undefined, payload?: unknown, refuse?: string) => {
    sent++;
    const res = await h.app.inject({ method: method as 'GET', url, headers: principal ? { authorization: `Bearer ${await h.token(principal)}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });
    const what = `${res.statusCode} ${method} ${url} ${JSON.stringify(payload)?.slice(0, 120)} -> ${res.body.slice(0, 120)}`;
    if (res.statusCode >= 500) failures.push(what);
    else if (refuse && res.statusCode !== 400) failures.push(`${refuse}: ${what}`);
    else if (res.statusCode >= 400) assert.equal(typeof res.json().code, 'string', `${method} ${url}: a 4xx has a code`);
  };
  // A route added with a body and no base body here, or a field no base body holds, would never be fuzzed.
  const withBody = routes.filter((r) => (r.schema as { body?: unknown } | undefined)?.body);
  const unfuzzed = withBody.flatMap((r) => {
    const [method, url] = [[r.method].flat()[0]!, r.url];
    const bases = baseBodies(method, url, 'x');
    if (!bases) return [`${method} ${url}: no base body`];
    const declared = Object.keys((r.schema as { body: Schema }).body.properties ?? {});
    return declared.filter((k) => !bases.some((b) => k in b.body)).map((k) => `${method} ${url}: field ${k}`);
  });
  assert.deepEqual(unfuzzed, [], 'every route with a body has base bodies here holding every field it declares');
  assert.ok(withBody.length >= 20, `found ${withBody.length} routes with a body`);
  for (const r of routes as RouteOptions[]) {
    const method = ([r.method].flat().find((m) => m !== 'HEAD') ?? 'GET') as string;
    const roles = r.config && 'roles' in (r.config as object) ? (r.config as { roles: Role[] | 'public' }).roles : 'public';
    const principal = roles === 'public' ? undefined : roles.map((x) => PRINCIPALS[x]).find(Boolean);
    const path = r.url.replace(':id', idFor(r.url));
    const body = () => (method === 'POST' ? baseBody(method, r.url, principal?.sub ?? 'x') ?? {} : undefined);
    // Path parameters.
    if (r.url.includes(':id')) for (const v of EVIL_QUERY) await send(method, r.url.replace(':id', v), principal, body());
    // Query strings: every declared property, and one nobody declared.
    const query = (r.schema as { querystring?: { properties?: Record<string, unknown> } } | undefined)?.querystring?.properties ?? {};
    for (const key of [...Object.keys(query), 'undeclared']) for (const v of EVIL_QUERY) await send(method, `${path}?${key}=${v}`, principal, body());
    // Bodies: every leaf of each valid body, replaced by every hostile value.
    if (method === 'POST') {
      const schema = ((r.schema as { body?: Schema } | undefined)?.body ?? {}) as Schema;
      const variants = baseBodies(method, r.url, 'x') ?? [{ body: {} }];
      for (let i = 0; i < variants.length; i++) {
        const as = variants[i]!.as ? PRINCIPALS[variants[i]!.as!] : principal;
        const fresh = () => baseBodies(method, r.url, as?.sub ?? 'x')![i]!.body;
        const base = variants[i]!.body;
        for (const leaf of leaves(base)) {
          const field = fieldSchema(schema, leaf);
          for (const v of [...EVIL_TEXT, ...EVIL_NUMBERS, ...EVIL_SHAPES]) {
            await send(method, path, as, withValue(fresh(), leaf, v), mustRefuse(field, v));
          }
        }
        for (const v of [...EVIL_TEXT, ...EVIL_SHAPES]) await send(method, path, as, { ...base, ['extra\u0000key']: v }, (r.schema as { body?: unknown })?.body ? 'a key no body declares' : undefined);
      }
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${sent} requests answered wrongly`);
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

test("a guardian link's relation is not blank and its start is a day that has happened, after the child's birth: 400 with a code, nothing linked", async () => {
  const token = await h.token(WORKER);
  const other = await enrolledBeneficiary(h, syntheticFace(4003, h.dim), { enrol: false });
  const born = (await h.call('GET', `/v1/beneficiaries/${childId}`, token)).body.birthDate as string;
  const tomorrow = new Date(h.ctx.clock().getTime() + 330 * 60_000 + 86_400_000).toISOString().slice(0, 10);
  const before = await rowCounts(h.ctx.db);
  for (const [body, code] of [
    [{ relation: '   ', since: '2099-01-01' }, 'invalid_request'],
    [{ relation: '\t\n' }, 'invalid_request'],
    [{ relation: 'aunt', since: '2099-01-01' }, 'invalid_since'],
    [{ relation: 'aunt', since: tomorrow }, 'invalid_since'],
    [{ relation: 'aunt', since: '1950-01-01' }, 'invalid_since'],
    [{ relation: 'aunt', since: '9999-12-31' }, 'invalid_request'],
  ] as const) {
    const res = await h.call('POST', `/v1/beneficiaries/${childId}/guardians`, token, { guardianId: other.id, ...body });
    assert.deepEqual([res.status, res.body.code], [400, code], `${JSON.stringify(body)} (born ${born})`);
  }
  assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing linked, nothing requested');
});
