import type { Queryable } from '../types.js';

/** Display names by user id, for showing people by name (the console); unknown ids are left out. */
export async function userNames(db: Queryable, ids: Array<string | null | undefined>): Promise<Record<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
  if (wanted.length === 0) return {};
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM users WHERE id = ANY($1::text[])', [wanted]);
  return Object.fromEntries(rows.map((r) => [r.id, r.name]));
}
