import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import { scoreBeneficiaryTemplates, type TemplateScore } from '../db/repositories/templates.js';
import type { Queryable } from '../db/types.js';
import type { Probe } from './probe.js';

/** Why a face could not be scored, or its decision: shared by a direct verification and a guardian's visit. */
export type FaceMatch =
  | { status: 'not_enrolled' }
  | { status: 'model_mismatch' }
  | { status: 'template_expired' }
  | { status: 'scored'; outcome: 'match' | 'no_match'; score: number; threshold: number; current: TemplateScore[] };

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** 1:1: the person's best score over her current templates of the probe's model, against the model's threshold. */
export async function matchFace(tx: Queryable, person: Pick<Beneficiary, 'id' | 'state' | 'district'>, probe: Probe, now: Date): Promise<FaceMatch> {
  const templates = await scoreBeneficiaryTemplates(tx, person.id, person, probe.model.id, probe.embedding, now);
  if (templates.length === 0) return { status: 'not_enrolled' };
  const sameModel = templates.filter((t) => t.modelId === probe.model.id);
  if (sameModel.length === 0) return { status: 'model_mismatch' };
  const current = sameModel.filter((t) => !t.expired);
  if (current.length === 0) return { status: 'template_expired' };
  const score = round(Math.max(...current.map((t) => t.score)));
  const threshold = probe.model.matchThreshold;
  return { status: 'scored', outcome: score >= threshold ? 'match' : 'no_match', score, threshold, current };
}
