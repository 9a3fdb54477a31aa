import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Category, DuplicateDecisionBody, DuplicateDetail, DuplicateList, DuplicateQueueQuery } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { getBeneficiaries, type Beneficiary } from '../db/repositories/beneficiaries.js';
import { enrolledBy, enrolmentsByWorker, listDuplicateFlags, type DuplicateFlag } from '../db/repositories/duplicates.js';
import type { Queryable } from '../db/types.js';
import { decideDuplicate, duplicateInScope } from '../domain/duplicate-decision.js';
import { badRequest } from '../errors.js';
import { IdParams, replies } from './schemas.js';

/** One side of a pair: who, where, when and by whom — never a face, an embedding or a score. */
function side(b: Beneficiary, enrolled: { by: string; at: Date } | undefined) {
  return {
    id: b.id,
    name: b.name,
    category: b.category,
    birthDate: b.birthDate,
    awc: b.awc,
    registeredAt: b.createdAt.toISOString(),
    registeredBy: b.createdBy,
    enrolledBy: enrolled?.by ?? null,
    enrolledAt: enrolled?.at.toISOString() ?? null,
    closedAt: b.closedAt?.toISOString() ?? null,
    mergedInto: b.mergedInto,
    fraudFlagged: b.fraudFlaggedAt !== null,
  };
}

/** Flags of one district (the admin's): both sides of every pair are its beneficiaries. */
async function pairViews(db: Queryable, area: { state: string; district: string }, flags: DuplicateFlag[]) {
  const ids = [...new Set(flags.flatMap((f) => [f.beneficiaryId, f.candidateBeneficiaryId]))];
  const people = new Map((await getBeneficiaries(db, ids)).map((b) => [b.id, b]));
  const enrolled = await enrolledBy(db, area, ids);
  return flags.map((f) => ({
    id: f.id,
    status: f.status,
    flaggedAt: f.createdAt.toISOString(),
    // The flagged beneficiary's enrolment was the attempt that raised the flag.
    flagged: side(people.get(f.beneficiaryId)!, enrolled.get(f.beneficiaryId) ?? { by: f.createdBy, at: f.createdAt }),
    candidate: side(people.get(f.candidateBeneficiaryId)!, enrolled.get(f.candidateBeneficiaryId)),
    decision: f.decision,
    decidedBy: f.decidedBy,
    decidedAt: f.decidedAt?.toISOString() ?? null,
    decisionNote: f.decisionNote,
  }));
}

const enrolmentView = (e: { beneficiaryId: string; name: string; awc: string; category: Category; enrolledAt: Date }) => ({ ...e, enrolledAt: e.enrolledAt.toISOString() });

/** The district admin's duplicates queue: enrolments stopped by `409 possible_duplicate`. */
export const duplicateRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/v1/duplicates', { config: { roles: ['district_admin'] }, schema: { querystring: DuplicateQueueQuery, response: replies({ 200: DuplicateList }) } }, async (req) => {
    const p = principalOf(req);
    const flags = await listDuplicateFlags(ctx.db, { state: p.state!, district: p.district! }, req.query.status ?? null, { limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 });
    return { items: await pairViews(ctx.db, { state: p.state!, district: p.district! }, flags) };
  });

  app.get('/v1/duplicates/:id', { config: { roles: ['district_admin'] }, schema: { params: IdParams, response: replies({ 200: DuplicateDetail }) } }, async (req) => {
    const p = principalOf(req);
    const { flag, flagged } = await duplicateInScope(ctx.db, req.params.id, p);
    const [view] = await pairViews(ctx.db, { state: p.state!, district: p.district! }, [flag]);
    const workerEnrolments = flag.decision === 'fraud_suspected' ? (await enrolmentsByWorker(ctx.db, flag.createdBy, flagged.state, flagged.district)).map(enrolmentView) : undefined;
    return { ...view!, enrollingWorker: flag.createdBy, ...(workerEnrolments ? { workerEnrolments } : {}) };
  });

  app.post('/v1/duplicates/:id/decision', { config: { roles: ['district_admin'] }, schema: { params: IdParams, body: DuplicateDecisionBody, response: replies({ 200: DuplicateDetail }) } }, async (req) => {
    const p = principalOf(req);
    const note = req.body.note.trim();
    if (!note) throw badRequest('note_required', 'say why: every duplicate decision is audited with its reason');
    const out = await ctx.db.transaction((tx) => decideDuplicate(tx, req.params.id, req.body.decision, note, p, ctx.clock()));
    const [view] = await pairViews(ctx.db, { state: p.state!, district: p.district! }, [out.flag]);
    return {
      ...view!,
      enrollingWorker: out.flag.createdBy,
      ...(out.kept ? { kept: out.kept, closed: out.closed, merge: out.merge } : {}),
      ...(out.workerEnrolments ? { workerEnrolments: out.workerEnrolments.map(enrolmentView) } : {}),
    };
  });
};
