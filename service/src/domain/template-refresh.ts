import { appendAudit } from '../db/repositories/audit.js';
import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import { refreshTemplate, type TemplateScore } from '../db/repositories/templates.js';
import type { Queryable } from '../db/types.js';
import { isChild } from './categories.js';
import type { Probe } from './probe.js';

/**
 * Adults' faces age; a template enrolled once drifts away from the face that comes each month.
 * After a confident match the template moves a small step toward the new capture — bounded so a
 * run of lucky impostor matches cannot walk it to another face:
 * - only on a score well above the threshold (a margin of 0.25 in cosine: at the operating
 *   threshold 0.42 that is 0.67; of lfw-dev's ~324k impostor comparisons one pair scores above it
 *   (0.687), the next highest 0.478), from a live capture at least as good as the template's;
 * - at most once per 30 days, at most 24 times (then a re-enrolment is due);
 * - the new template is the normalised 80/20 mix of the old one and the capture;
 * - never for children: their templates expire within months anyway;
 * - audited (the template id and the count; no embedding, no score).
 * One UPDATE whose WHERE holds the rules: no embedding leaves the database.
 */
export const REFRESH_POLICY = { margin: 0.25, minDays: 30, maxRefreshes: 24, weight: 0.2 } as const;

export async function refreshAfterMatch(tx: Queryable, b: Beneficiary, probe: Probe, score: number, now: Date, actor: string, scored: readonly TemplateScore[]): Promise<boolean> {
  if (isChild(b.category) || score < probe.model.matchThreshold + REFRESH_POLICY.margin) return false;
  if (!scored.some((t) => mayRefresh(t, probe.quality, now))) return false;
  const done = await refreshTemplate(tx, { beneficiaryId: b.id, home: b, modelId: probe.model.id, probe: probe.embedding, weight: REFRESH_POLICY.weight, quality: probe.quality, now, minDays: REFRESH_POLICY.minDays, maxRefreshes: REFRESH_POLICY.maxRefreshes });
  if (!done) return false;
  await appendAudit(tx, { actor, role: 'worker', action: 'template.refreshed', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { templateId: done.id, refreshCount: done.refreshCount } }, now);
  return true;
}

/**
 * Whether the refresh UPDATE could change this template, from what the score query already read:
 * most matches are within 30 days of the last change, and skipping their UPDATE (two 512-d vectors
 * bound for nothing) takes one of the verification's statements away. The UPDATE's own WHERE stays
 * the rule (a concurrent refresh is decided there); this may only say "maybe" where that WHERE could
 * hold. Qualities compare as float4, the column's type, as PostgreSQL compares them.
 */
export function mayRefresh(t: Pick<TemplateScore, 'quality' | 'refreshCount' | 'refreshedAt' | 'createdAt'>, quality: number, now: Date): boolean {
  const unchangedSince = now.getTime() - REFRESH_POLICY.minDays * 86_400_000;
  return t.refreshCount < REFRESH_POLICY.maxRefreshes && Math.fround(t.quality) <= Math.fround(quality) && (t.refreshedAt ?? t.createdAt).getTime() <= unchangedSince;
}
