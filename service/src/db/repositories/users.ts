import type { AreaFilter } from '../../auth/scope.js';
import type { Role } from '../../auth/principal.js';
import type { Queryable } from '../types.js';

export interface User {
  id: string;
  role: Role;
  mobile: string;
  name: string;
  state: string | null;
  district: string | null;
  awc: string | null;
  awcs: string[] | null;
  status: 'active' | 'disabled';
  mustChangeMpin: boolean;
  createdBy: string;
  createdAt: Date;
  disabledAt: Date | null;
}

/** Never selected with the rest: the hash leaves this module only towards the MPIN check. */
const COLUMNS = `id, role, mobile, name, state, district, awc, awcs, status, must_change_mpin AS "mustChangeMpin",
  created_by AS "createdBy", created_at AS "createdAt", disabled_at AS "disabledAt"`;

export type NewUser = Pick<User, 'role' | 'mobile' | 'name' | 'state' | 'district' | 'awc' | 'awcs' | 'createdBy'> & { id?: string; mpinHash: string; mustChangeMpin: boolean };

/** Undefined when the mobile number already has an account (the unique key decides, also concurrently). */
export async function insertUser(tx: Queryable, u: NewUser): Promise<User | undefined> {
  const { rows } = await tx.query<User>(
    `INSERT INTO users (id, role, mobile, name, state, district, awc, awcs, mpin_hash, must_change_mpin, created_by)
     VALUES (coalesce($1, gen_random_uuid()::text), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (mobile) DO NOTHING RETURNING ${COLUMNS}`,
    [u.id ?? null, u.role, u.mobile, u.name, u.state, u.district, u.awc, u.awcs, u.mpinHash, u.mustChangeMpin, u.createdBy],
  );
  return rows[0];
}

export async function getUser(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<User | undefined> {
  const { rows } = await db.query<User>(`SELECT ${COLUMNS} FROM users WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function userByMobileWithHash(db: Queryable, mobile: string): Promise<(User & { mpinHash: string }) | undefined> {
  const { rows } = await db.query<User & { mpinHash: string }>(`SELECT ${COLUMNS}, mpin_hash AS "mpinHash" FROM users WHERE mobile = $1`, [mobile]);
  return rows[0];
}

export async function mpinHashOf(db: Queryable, id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ h: string }>('SELECT mpin_hash AS h FROM users WHERE id = $1', [id]);
  return rows[0]?.h;
}

export async function setMpin(tx: Queryable, id: string, mpinHash: string, mustChange: boolean): Promise<void> {
  await tx.query('UPDATE users SET mpin_hash = $2, must_change_mpin = $3 WHERE id = $1', [id, mpinHash, mustChange]);
}

/** A one-time MPIN handed out by someone else (an admin, the CLI): marked, so its audit entry can be asked for. */
export async function resetMpinHash(tx: Queryable, id: string, mpinHash: string, by: string, now: Date): Promise<void> {
  await tx.query('UPDATE users SET mpin_hash = $2, must_change_mpin = true, mpin_reset_at = $4, mpin_reset_by = $3 WHERE id = $1', [id, mpinHash, by, now]);
}

export async function disableUser(tx: Queryable, id: string, by: string, now: Date): Promise<void> {
  await tx.query(`UPDATE users SET status = 'disabled', disabled_at = $3, disabled_by = $2 WHERE id = $1`, [id, by, now]);
}

/**
 * Users in an area, every level of the path compared: a district admin's D1 is D1 of her state.
 * `roles` narrows to the roles the caller manages.
 */
export async function listUsers(db: Queryable, area: AreaFilter, roles: readonly Role[], page: { limit: number; offset: number }): Promise<User[]> {
  const { rows } = await db.query<User>(
    `SELECT ${COLUMNS} FROM users
     WHERE state = $1 AND ($2::text IS NULL OR district = $2) AND role = ANY($3)
       AND ($4::text[] IS NULL OR awc = ANY($4) OR awcs && $4)
     ORDER BY created_at, id LIMIT $5 OFFSET $6`,
    [area.state, area.district ?? null, roles, area.awcs ?? (area.awc ? [area.awc] : null), page.limit, page.offset],
  );
  return rows;
}

export async function userStatus(db: Queryable, id: string): Promise<User['status'] | undefined> {
  const { rows } = await db.query<{ status: User['status'] }>('SELECT status FROM users WHERE id = $1', [id]);
  return rows[0]?.status;
}
