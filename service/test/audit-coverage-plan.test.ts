import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { COVERAGE_RULES, explainCoverage, type CoverageRule } from '../src/db/repositories/audit-coverage.js';
import { createHarness, type Harness } from './harness.js';

// /v1/audit/verify runs every coverage rule over whole tables and the whole log. A rule that looks
// its entry up once per row (a correlated subquery: "SubPlan" in the plan) scans the log once per
// beneficiary: the "category changed" rule did, and an auditor's check of a lakh of beneficiaries
// against 600k entries ran for hours on the server. Each rule must be one join of table and log.
let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

test('every coverage rule is one anti-join of its table against the log, never a lookup per row', async () => {
  for (const rule of COVERAGE_RULES) {
    const plan = await explainCoverage(h.ctx.db, rule);
    assert.doesNotMatch(plan, /SubPlan/, `${rule.record}:\n${plan}`);
  }
});

test('the check notices a rule that looks its entry up per row', async () => {
  const perRow: CoverageRule = {
    record: 'per-row lookup',
    table: 'beneficiaries',
    where: "r.category <> coalesce((SELECT e.details ->> 'category' FROM audit_log e WHERE e.subject_id = r.id::text LIMIT 1), r.category)",
    action: 'beneficiary.category_changed',
    by: { subject: true },
  };
  assert.match(await explainCoverage(h.ctx.db, perRow), /SubPlan/);
});
