import type { Role } from '../auth/principal.js';
import { appendAudit } from '../db/repositories/audit.js';
import { insertUser, resetMpinHash, userByMobileWithHash } from '../db/repositories/users.js';
import { revokeUserSessions } from '../db/repositories/sessions.js';
import type { Database } from '../db/types.js';
import { oneTimeMpin, type MpinHasher } from './mpin.js';
import { normaliseMobile, userView } from './user-view.js';

/** Roles the CLI creates: the first admins (nobody above them exists yet) and auditors. */
export const BOOTSTRAP_ROLES = ['state_admin', 'district_admin', 'auditor'] as const satisfies readonly Role[];
export type BootstrapRole = (typeof BOOTSTRAP_ROLES)[number];

export interface BootstrapUserInput {
  role: BootstrapRole;
  mobile: string;
  name: string;
  state?: string;
  district?: string;
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why the input is refused, or null. The same rules the API applies to a new account. */
export function bootstrapInputProblem(u: BootstrapUserInput): string | null {
  if (!BOOTSTRAP_ROLES.includes(u.role)) return `--role must be one of ${BOOTSTRAP_ROLES.join(', ')}`;
  if (!/^[6-9][0-9]{9}$/.test(normaliseMobile(u.mobile))) return '--mobile must be a 10-digit Indian mobile number';
  if (!u.name.trim() || u.name.length > 100) return '--name must be 1 to 100 characters';
  if (u.role !== 'auditor' && !(u.state && CODE.test(u.state))) return `a ${u.role} needs --state`;
  if (u.role === 'district_admin' && !(u.district && CODE.test(u.district))) return 'a district_admin needs --district';
  if (u.role !== 'district_admin' && u.district) return `a ${u.role} has no --district`;
  return null;
}

/**
 * Makes an account from the command line (`npm run users -- add`), with a one-time MPIN to be
 * changed at first sign-in, audited as done by `cli`. The bootstrap that replaces pasting a token.
 */
export async function bootstrapUser(db: Database, mpin: MpinHasher, input: BootstrapUserInput, now = new Date()): Promise<{ user: ReturnType<typeof userView>; oneTimeMpin: string }> {
  const problem = bootstrapInputProblem(input);
  if (problem) throw new Error(problem);
  const pin = oneTimeMpin();
  const mpinHash = await mpin.hash(pin);
  const user = await db.transaction(async (tx) => {
    const u = await insertUser(tx, {
      role: input.role,
      mobile: normaliseMobile(input.mobile),
      name: input.name.trim(),
      state: input.state ?? null,
      district: input.district ?? null,
      awc: null,
      awcs: null,
      mpinHash,
      mustChangeMpin: true,
      createdBy: 'cli',
    });
    if (!u) throw new Error('this mobile number already has an account (use `reset-mpin` for a new one-time MPIN)');
    await appendAudit(tx, { actor: 'cli', role: 'system', action: 'user.created', subjectType: 'user', subjectId: u.id, district: u.district, details: { role: u.role, state: u.state } }, now);
    return u;
  });
  return { user: userView(user), oneTimeMpin: pin };
}

/** A new one-time MPIN for an account, from the command line (an admin locked out of her MPIN). */
export async function bootstrapResetMpin(db: Database, mpin: MpinHasher, mobile: string, now = new Date()): Promise<{ user: ReturnType<typeof userView>; oneTimeMpin: string }> {
  const existing = await userByMobileWithHash(db, normaliseMobile(mobile));
  if (!existing) throw new Error('no account with this mobile number');
  const pin = oneTimeMpin();
  const mpinHash = await mpin.hash(pin);
  await db.transaction(async (tx) => {
    await resetMpinHash(tx, existing.id, mpinHash, 'cli', now);
    const ended = await revokeUserSessions(tx, existing.id, 'mpin_reset', now);
    await appendAudit(tx, { actor: 'cli', role: 'system', action: 'user.mpin_reset', subjectType: 'user', subjectId: existing.id, district: existing.district, details: { role: existing.role, sessionsEnded: ended } }, now);
  });
  const { mpinHash: _h, ...user } = existing;
  return { user: userView({ ...user, mustChangeMpin: true }), oneTimeMpin: pin };
}
