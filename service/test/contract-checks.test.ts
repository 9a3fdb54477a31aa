import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CHANGE_APPROVALS,
  CHANGE_KINDS,
  CHANGE_STATUSES,
  CATEGORIES,
  CHILD_CATEGORIES,
  CONSENT_GIVERS,
  CONSENT_METHODS,
  CONSENT_PURPOSES,
  DISTRIBUTION_METHODS,
  DUPLICATE_DECISIONS,
  DUPLICATE_FLAG_STATUSES,
  FALLBACK_CASE_METHODS,
  FALLBACK_REASONS,
  REVIEW_STATUSES,
  ROLES,
  SESSION_END_REASONS,
  USER_STATUSES,
} from '@chehra/contract';
import { connectDatabase } from '../src/db/connect.js';
import type { Database } from '../src/db/types.js';

/**
 * Every SQL CHECK that limits a column to a list of words must allow exactly the contract's list.
 * Read from the migrated database (pg_get_constraintdef), not from the migration files, so a later
 * migration that alters a CHECK is covered too. A new list-CHECK fails here until it is mapped.
 */
const CONTRACT: Record<string, readonly string[]> = {
  'beneficiaries.category in': CATEGORIES,
  'beneficiaries.category not in': CHILD_CATEGORIES,
  'consents.purpose in': CONSENT_PURPOSES,
  'consents.given_by in': CONSENT_GIVERS,
  'consents.method in': CONSENT_METHODS,
  'distributions.method in': DISTRIBUTION_METHODS,
  'duplicate_flags.status in': DUPLICATE_FLAG_STATUSES,
  'duplicate_flags.decision in': DUPLICATE_DECISIONS,
  'fallback_cases.method in': FALLBACK_CASE_METHODS,
  'fallback_cases.reason in': FALLBACK_REASONS,
  'fallback_cases.review_status in': REVIEW_STATUSES,
  'users.role in': ROLES,
  'users.status in': USER_STATUSES,
  'sessions.revoked_reason in': SESSION_END_REASONS,
  'change_requests.kind in': CHANGE_KINDS,
  'change_requests.status in': CHANGE_STATUSES,
  'change_requests.approval in': CHANGE_APPROVALS,
};

/** `(col = ANY (ARRAY['a'::text, ...]))`, `(col <> ALL (ARRAY[...]))` and `(col = 'a'::text)`, as PostgreSQL prints them. */
const LIST_CHECK = /\((\w+) (=|<>) (?:(?:ANY|ALL) \(ARRAY\[([^\]]*)\]\)|('[^']*'::text))\)/g;
const words = (list: string) => [...list.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!);

let db: Database;
before(async () => {
  db = await connectDatabase({});
});
after(() => db.close());

async function listChecks(): Promise<Map<string, string[]>> {
  // Partitions inherit their parent's CHECKs; the parent's are the ones written in migrations.
  const { rows } = await db.query<{ tbl: string; def: string }>(
    `SELECT conrelid::regclass::text AS tbl, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE contype = 'c' AND connamespace = 'public'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = conrelid)`,
  );
  const found = new Map<string, string[]>();
  for (const { tbl, def } of rows) {
    for (const m of def.matchAll(LIST_CHECK)) found.set(`${tbl}.${m[1]} ${m[2] === '=' ? 'in' : 'not in'}`, words(m[3] ?? m[4]!));
  }
  return found;
}

test("every list CHECK in the schema allows exactly the contract's values", async () => {
  const found = await listChecks();
  assert.ok(found.size >= Object.keys(CONTRACT).length, `parsed ${found.size} list CHECKs`);
  for (const [key, values] of found) {
    const expected = CONTRACT[key];
    assert.ok(expected, `${key} (${values.join(', ')}) is a list CHECK with no contract enum: add it to @chehra/contract and to this map`);
    assert.deepEqual([...values].sort(), [...expected].sort(), `${key}: the database allows ${values.join(', ')}; the contract says ${expected.join(', ')}`);
  }
  for (const key of Object.keys(CONTRACT)) assert.ok(found.has(key), `${key}: the CHECK the contract expects is missing from the schema`);
});

test('a CHECK that drifts from the contract is caught', async () => {
  // The check above, applied to a table whose CHECK lost a category: it must not pass.
  await db.exec(`CREATE TABLE drift_probe (category text CHECK (category IN ('pregnant', 'lactating')))`);
  try {
    const found = await listChecks();
    assert.deepEqual(found.get('drift_probe.category in'), ['pregnant', 'lactating']);
    assert.notDeepEqual(found.get('drift_probe.category in')!.sort(), [...CATEGORIES].sort());
    assert.equal(CONTRACT['drift_probe.category in'], undefined, 'an unmapped list CHECK is reported by the test above');
  } finally {
    await db.exec('DROP TABLE drift_probe');
  }
});
