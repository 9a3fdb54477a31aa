import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrate } from '../src/db/migrate.js';
import { createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

// Migration 010 places every verification and ration by the state and district of the beneficiary
// it was for, for rows written before it too (the exclusion figures read them by that place).
const MIGRATION = '010_place_on_verifications_and_distributions.sql';
let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

const place = async (sql: string, id: string) => (await h.ctx.db.query<{ state: string; district: string }>(sql, [id])).rows[0];

test('rows written before migration 010 get their beneficiary\'s state and district, and the reads have their index', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(310, h.dim));
  const r = await h.call('POST', '/v1/verifications', await h.token(WORKER), { beneficiaryId: id, envelope: h.seal(syntheticFace(310, h.dim, 0.3, 1), WORKER.sub) });
  assert.equal(r.body.match, true, JSON.stringify(r.body));
  // As written now: the beneficiary's place on both rows.
  assert.deepEqual(await place('SELECT state, district FROM verifications WHERE id = $1', r.body.verificationId), { state: WORKER.state, district: WORKER.district });
  assert.deepEqual(await place('SELECT state, district FROM distributions WHERE id = $1', r.body.distributionId), { state: WORKER.state, district: WORKER.district });

  // The schema as it was before 010, these rows still in it; then the migration, as on an upgrade.
  await h.ctx.db.exec('ALTER TABLE verifications DROP COLUMN state; ALTER TABLE distributions DROP COLUMN state, DROP COLUMN district');
  await h.ctx.db.query('DELETE FROM schema_migrations WHERE name = $1', [MIGRATION]);
  assert.deepEqual(await migrate(h.ctx.db), [MIGRATION]);
  assert.deepEqual(await place('SELECT state, district FROM verifications WHERE id = $1', r.body.verificationId), { state: WORKER.state, district: WORKER.district });
  assert.deepEqual(await place('SELECT state, district FROM distributions WHERE id = $1', r.body.distributionId), { state: WORKER.state, district: WORKER.district });
  const nulls = await h.ctx.db.query<{ n: number }>(
    'SELECT (SELECT count(*) FROM verifications WHERE state IS NULL) + (SELECT count(*) FROM distributions WHERE state IS NULL OR district IS NULL) AS n',
  );
  assert.equal(Number(nulls.rows[0]!.n), 0);
  const indexes = await h.ctx.db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE indexname IN ('verifications_place', 'distributions_place') ORDER BY 1");
  assert.deepEqual(indexes.rows.map((x) => x.indexname), ['distributions_place', 'verifications_place']);
  // A row without its place is refused from now on.
  await assert.rejects(
    h.ctx.db.query("INSERT INTO verifications (beneficiary_id, scheme, worker, awc, district, model_id, outcome, quality, liveness) VALUES ($1, 'THR', 'w', 'AWC-001', 'D1', 'm', 'match', 0.9, 0.9)", [id]),
    (err: { code?: string }) => err.code === '23502',
  );
});
