import type { Principal, Role } from '../auth/principal.js';
import { areaOf, inScope } from '../auth/scope.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { revokeUserSessions } from '../db/repositories/sessions.js';
import { disableUser, getUser, insertUser, listUsers, resetMpinHash, type User } from '../db/repositories/users.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import { oneTimeMpin } from './mpin.js';
import { normaliseMobile, userView } from './user-view.js';

/**
 * Who manages whom. A supervisor: workers of her sector's AWCs. A district admin: supervisors and
 * workers of her district. A state admin: district admins of her state. Always inside the
 * manager's whole state/district/AWC path.
 */
export const MANAGES: Record<Role, readonly Role[]> = {
  worker: [],
  supervisor: ['worker'],
  district_admin: ['supervisor', 'worker'],
  state_admin: ['district_admin'],
  auditor: [],
};

/** Only district admins (and state admins, for district admins) hand out a new one-time MPIN. */
export const MAY_RESET: readonly Role[] = ['district_admin', 'state_admin'];

export interface NewUserInput {
  role: Role;
  mobile: string;
  name: string;
  awc?: string;
  awcs?: string[];
  district?: string;
}

/** Is this account inside the manager's area and of a role she manages? */
function manages(p: Principal, u: Pick<User, 'role' | 'state' | 'district' | 'awc' | 'awcs'>): boolean {
  if (!MANAGES[p.role].includes(u.role) || !u.state) return false;
  if (u.role === 'district_admin') return p.role === 'state_admin' && p.state === u.state && Boolean(u.district);
  if (!u.district) return false;
  const awcs = u.role === 'worker' ? [u.awc!] : (u.awcs ?? []);
  // Every AWC of the account must lie in the manager's area: a supervisor whose sector reaches
  // outside a district admin's district is not hers to add.
  return awcs.length > 0 && awcs.every((awc) => inScope(p, { state: u.state!, district: u.district!, awc }));
}

/** The account's scope as the manager's own path fixes it, with the part the body adds (AWC, sector, district). */
function scopeFor(p: Principal, input: NewUserInput): Pick<User, 'state' | 'district' | 'awc' | 'awcs'> {
  const need = (ok: boolean, message: string) => {
    if (!ok) throw badRequest('invalid_scope', message);
  };
  switch (input.role) {
    case 'worker':
      need(Boolean(input.awc) && !input.awcs && !input.district, 'a worker needs "awc" (her Anganwadi centre) and nothing else');
      return { state: p.state!, district: p.district!, awc: input.awc!, awcs: null };
    case 'supervisor':
      need(Boolean(input.awcs?.length) && !input.awc && !input.district, 'a supervisor needs "awcs" (her sector) and nothing else');
      need(new Set(input.awcs).size === input.awcs!.length, '"awcs" lists an AWC twice');
      return { state: p.state!, district: p.district!, awc: null, awcs: input.awcs! };
    case 'district_admin':
      need(Boolean(input.district) && !input.awc && !input.awcs, 'a district admin needs "district" and nothing else');
      return { state: p.state!, district: input.district!, awc: null, awcs: null };
    default:
      throw forbidden('role_forbidden', `you may not add a ${input.role}`);
  }
}

export async function createUser(ctx: ServiceContext, p: Principal, input: NewUserInput): Promise<{ user: ReturnType<typeof userView>; oneTimeMpin: string }> {
  if (!MANAGES[p.role].includes(input.role)) throw forbidden('role_forbidden', `a ${p.role} may not add a ${input.role}`);
  const name = input.name.trim();
  if (!name) throw badRequest('invalid_request', 'the name is empty');
  const scope = scopeFor(p, input);
  if (!manages(p, { role: input.role, ...scope })) throw forbidden('out_of_scope', 'this account would be outside your area');
  const mpin = oneTimeMpin();
  const mpinHash = await ctx.mpin.hash(mpin);
  const now = ctx.clock();
  const user = await ctx.db.transaction(async (tx) => {
    const u = await insertUser(tx, { role: input.role, mobile: normaliseMobile(input.mobile), name, ...scope, mpinHash, mustChangeMpin: true, createdBy: p.sub });
    if (!u) throw conflict('mobile_taken', 'this mobile number already has an account');
    await appendAudit(tx, { actor: p.sub, role: p.role, action: 'user.created', subjectType: 'user', subjectId: u.id, district: u.district, details: { role: u.role, state: u.state, awc: u.awc, awcs: u.awcs } }, now);
    return u;
  });
  return { user: userView(user), oneTimeMpin: mpin };
}

/** The account, if it exists and the caller manages it (404 before 403). */
async function managedUser(ctx: ServiceContext, p: Principal, id: string): Promise<User> {
  const u = await getUser(ctx.db, id);
  if (!u) throw notFound('user_not_found', 'no user with this id');
  if (!manages(p, u)) throw forbidden('out_of_scope', 'this user is outside your area');
  return u;
}

export async function disable(ctx: ServiceContext, p: Principal, id: string): Promise<ReturnType<typeof userView>> {
  if (id === p.sub) throw conflict('cannot_disable_self', 'you cannot disable your own account');
  const u = await managedUser(ctx, p, id);
  if (u.status === 'disabled') throw conflict('already_disabled', 'this account is already disabled');
  const now = ctx.clock();
  await ctx.db.transaction(async (tx) => {
    await disableUser(tx, u.id, p.sub, now);
    const ended = await revokeUserSessions(tx, u.id, 'user_disabled', now);
    await appendAudit(tx, { actor: p.sub, role: p.role, action: 'user.disabled', subjectType: 'user', subjectId: u.id, district: u.district, details: { role: u.role, sessionsEnded: ended } }, now);
  });
  return userView({ ...u, status: 'disabled', disabledAt: now });
}

/** A new one-time MPIN, shown once; every session of the account ends. */
export async function resetMpin(ctx: ServiceContext, p: Principal, id: string): Promise<{ user: ReturnType<typeof userView>; oneTimeMpin: string }> {
  if (!MAY_RESET.includes(p.role)) throw forbidden('role_forbidden', `a ${p.role} may not reset an MPIN; ask the district admin`);
  const u = await managedUser(ctx, p, id);
  if (u.status === 'disabled') throw conflict('user_disabled', 'this account is disabled');
  const mpin = oneTimeMpin();
  const mpinHash = await ctx.mpin.hash(mpin);
  const now = ctx.clock();
  await ctx.db.transaction(async (tx) => {
    await resetMpinHash(tx, u.id, mpinHash, p.sub, now);
    const ended = await revokeUserSessions(tx, u.id, 'mpin_reset', now);
    await appendAudit(tx, { actor: p.sub, role: p.role, action: 'user.mpin_reset', subjectType: 'user', subjectId: u.id, district: u.district, details: { role: u.role, sessionsEnded: ended } }, now);
  });
  return { user: userView({ ...u, mustChangeMpin: true }), oneTimeMpin: mpin };
}

export async function list(ctx: ServiceContext, p: Principal, page: { limit: number; offset: number }) {
  const rows = await listUsers(ctx.db, areaOf(p), MANAGES[p.role], page);
  return rows.filter((u) => manages(p, u)).map(userView);
}
