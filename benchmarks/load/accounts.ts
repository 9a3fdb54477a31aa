import { join } from 'node:path';
import type { Principal } from '../../service/src/auth/principal.js';
import { appendAudit } from '../../service/src/db/repositories/audit.js';
import { insertUser, setMpin, userByMobileWithHash } from '../../service/src/db/repositories/users.js';
import type { Database } from '../../service/src/db/types.js';
import { MpinHasher } from '../../service/src/identity/mpin.js';
import { loadOrCreateSecret } from '../../service/src/keys/secret.js';
import type { HttpClient } from '../lib/open-loop.js';

/**
 * The benchmark's people sign in as workers do: accounts in `users`, POST /v1/auth/login with
 * mobile + MPIN, access tokens renewed through POST /v1/auth/refresh. So every request of the
 * load pays the per-request session check (sessions ⨝ users by primary key) that a production
 * service runs, and the service runs without DEV_TOKENS.
 */

/** Known to the benchmark only; not a weak MPIN (the service's rules are not asked: the row is written directly). */
const BENCH_MPIN = '604712';
/** Renew well inside the 15-minute access-token lifetime, between steps rather than inside one. */
const RENEW_AFTER_MS = 8 * 60_000;

const mobileOf = (i: number) => `7000${String(i).padStart(6, '0')}`;

/**
 * One account per principal, its id the principal's `sub` (the seeded beneficiaries name their
 * worker by it), written with the rows and audit entry POST /v1/users writes — straight into the
 * database before the service starts, as the beneficiaries are. The MPIN is hashed with the
 * pepper the service will load from the same key directory. A scratch database reused from an
 * earlier run (a new key directory, so a new pepper) gets the MPIN reset, audited as the CLI's.
 */
export async function seedAccounts(db: Database, principals: readonly Principal[], keysDir: string): Promise<void> {
  const hasher = new MpinHasher(loadOrCreateSecret(keysDir, 'mpin-pepper.json'));
  const mpinHash = await hasher.hash(BENCH_MPIN); // one KDF run for all: the salt's uniqueness does not matter here
  const now = new Date();
  await db.transaction(async (tx) => {
    for (const [i, p] of principals.entries()) {
      const mobile = mobileOf(i);
      const scope = { state: p.state ?? null, district: p.district ?? null, awc: p.awc ?? null, awcs: p.awcs ? [...p.awcs] : null };
      const u = await insertUser(tx, { id: p.sub, role: p.role, mobile, name: `Bench ${p.sub}`, ...scope, mpinHash, mustChangeMpin: false, createdBy: 'cli' });
      if (u) {
        await appendAudit(tx, { actor: 'cli', role: 'system', action: 'user.created', subjectType: 'user', subjectId: u.id, district: u.district, details: { role: u.role, state: u.state } }, now);
        continue;
      }
      const existing = await userByMobileWithHash(tx, mobile);
      if (existing?.id !== p.sub) throw new Error(`mobile ${mobile} belongs to another account than ${p.sub}: use a fresh scratch database`);
      await setMpin(tx, p.sub, mpinHash, false);
      await appendAudit(tx, { actor: 'cli', role: 'system', action: 'user.mpin_reset', subjectType: 'user', subjectId: p.sub, district: existing.district, details: { role: existing.role, sessionsEnded: 0 } }, now);
    }
  });
}

export interface SignedInPeople {
  /** The current access token of each principal, by `sub`. */
  tokens: Map<string, string>;
  refreshTokens: Map<string, string>;
  renewedAt: number;
  signInMs: number[];
  /** Times everyone's tokens were renewed through POST /v1/auth/refresh. */
  renewals: number;
}

/** Every principal signs in once (one MPIN check each); `principals` in the order seedAccounts saw them. */
export async function signInAll(http: HttpClient, principals: readonly Principal[]): Promise<SignedInPeople> {
  const people: SignedInPeople = { tokens: new Map(), refreshTokens: new Map(), renewedAt: Date.now(), signInMs: [], renewals: 0 };
  for (const [i, p] of principals.entries()) {
    const r = await http.request('POST', '/v1/auth/login', undefined, JSON.stringify({ mobile: mobileOf(i), mpin: BENCH_MPIN, deviceId: `bench-load-${p.sub}` }));
    if (r.status !== 200) throw new Error(`sign-in of ${p.sub}: ${r.status} ${r.body}`);
    const s = JSON.parse(r.body) as { accessToken: string; refreshToken: string };
    people.tokens.set(p.sub, s.accessToken);
    people.refreshTokens.set(p.sub, s.refreshToken);
    people.signInMs.push(r.ms);
  }
  return people;
}

/** New access tokens (and rotated refresh tokens) for everyone once the last ones are 8 minutes old. */
export async function renewIfOld(http: HttpClient, people: SignedInPeople): Promise<void> {
  if (Date.now() - people.renewedAt < RENEW_AFTER_MS) return;
  for (const [sub, refreshToken] of people.refreshTokens) {
    const r = await http.request('POST', '/v1/auth/refresh', undefined, JSON.stringify({ refreshToken }));
    if (r.status !== 200) throw new Error(`refresh of ${sub}: ${r.status} ${r.body}`);
    const s = JSON.parse(r.body) as { accessToken: string; refreshToken: string };
    people.tokens.set(sub, s.accessToken);
    people.refreshTokens.set(sub, s.refreshToken);
  }
  people.renewedAt = Date.now();
  people.renewals++;
}

export const keysDirOf = (dataDir: string) => join(dataDir, 'keys');
