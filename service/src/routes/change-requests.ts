import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChangeDecisionBody, ChangeQueue, ChangeQueueQuery, ChangeRequest as ChangeRequestSchema, MobileChangeBody } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import { assertInScope } from '../auth/scope.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary, setMobile } from '../db/repositories/beneficiaries.js';
import { decideChangeRequest, getChangeRequest, listChangeRequests, type ChangeRequest } from '../db/repositories/change-requests.js';
import { claimNonce } from '../db/repositories/nonces.js';
import { applyApprovedLink } from '../domain/guardian-link.js';
import { secondPerson } from '../domain/second-person.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { openProbe } from '../keys/open-probe.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { IdParams, replies } from './schemas.js';

const masked = (m: string | null) => (m ? `******${m.slice(-4)}` : null);

/** What leaves the service about a request: the new number only masked, like every mobile. */
export function changeRequestView(r: ChangeRequest) {
  return {
    id: r.id,
    beneficiaryId: r.beneficiaryId,
    kind: r.kind,
    status: r.status,
    approval: r.approval,
    newMobileMasked: masked(r.newMobile),
    ...(r.kind === 'guardian_link' ? { guardianLink: { guardianId: r.guardianId!, relation: r.relation!, since: r.since! } } : {}),
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt.toISOString(),
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decisionNote: r.decisionNote,
    appliedAt: r.appliedAt?.toISOString() ?? null,
    awc: r.awc,
    district: r.district,
    state: r.state,
  };
}

export const changeRequestRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  const rules = () => ({ livenessThreshold: ctx.models.livenessThreshold, maxFaceAttempts: ctx.fallback.maxFaceAttempts });

  // The OTP goes to this number, so a worker may not simply set it: 200 applied (the beneficiary's
  // face matched), or 202 pending a supervisor's approval.
  app.post('/v1/beneficiaries/:id/mobile', { config: { roles: ['worker'], rateLimited: 'change_request' }, schema: { params: IdParams, body: MobileChangeBody, response: replies({ 200: ChangeRequestSchema, 202: ChangeRequestSchema }) } }, async (req, reply) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.params.id, p);
    if (b.mobile === req.body.mobile) throw badRequest('mobile_unchanged', 'this is already the registered mobile number');
    const probe = req.body.envelope ? openProbe(ctx, req.body.envelope, p) : null;
    const now = ctx.clock();
    const gate = await ctx.db.transaction(async (tx) => {
      if (probe && !(await claimNonce(tx, probe.requestNonce))) throw conflict('envelope_replayed', 'this envelope was already used; capture again');
      const locked = (await getBeneficiary(tx, b.id, { forNoKeyUpdate: true }))!;
      const g = await secondPerson(tx, { beneficiary: locked, kind: 'mobile_change', newMobile: req.body.mobile, requestedBy: p.sub, now, probe }, rules());
      if (g.allowed) await setMobile(tx, b.id, req.body.mobile);
      await appendAudit(tx, { actor: p.sub, role: p.role, action: g.allowed ? 'mobile.changed' : 'change.requested', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { changeRequestId: g.request!.id, kind: 'mobile_change', ...(g.allowed ? { allowedBy: g.via } : {}) } }, now);
      return g;
    });
    probe?.embedding.fill(0);
    return reply.status(gate.allowed ? 200 : 202).send(changeRequestView(gate.request!));
  });

  // The queue: a supervisor sees her sector's requests, a district admin her district's.
  app.get('/v1/change-requests', { config: { roles: ['supervisor', 'district_admin'] }, schema: { querystring: ChangeQueueQuery, response: replies({ 200: ChangeQueue }) } }, async (req) => {
    const p = principalOf(req);
    const q = req.query;
    const items = await listChangeRequests(
      ctx.db,
      { district: p.district!, state: p.state!, ...(p.role === 'supervisor' ? { awcs: p.awcs! } : {}), ...(q.status ? { status: q.status } : {}), ...(q.kind ? { kind: q.kind } : {}) },
      { limit: q.limit ?? 100, offset: q.offset ?? 0 },
    );
    return { items: items.map((r) => ({ ...changeRequestView(r), beneficiaryName: r.beneficiaryName })) };
  });

  // The second person: a supervisor of the AWC's sector, never the one who asked.
  app.post('/v1/change-requests/:id/decision', { config: { roles: ['supervisor'] }, schema: { params: IdParams, body: ChangeDecisionBody, response: replies({ 200: ChangeRequestSchema }) } }, async (req) => {
    const p = principalOf(req);
    const now = ctx.clock();
    const decided = await ctx.db.transaction(async (tx) => {
      const asked = await getChangeRequest(tx, req.params.id);
      if (!asked) throw notFound('change_request_not_found', 'no change request with this id');
      assertInScope(p, asked, 'this request');
      // The record first, then the request: the order the routes that ask for a change take them
      // in (a new link, a new number), so a decision and a new ask for the same record cannot
      // each hold one lock and wait for the other.
      await getBeneficiary(tx, asked.beneficiaryId, { forNoKeyUpdate: true });
      const r = (await getChangeRequest(tx, asked.id, { forUpdate: true }))!;
      if (r.status !== 'pending') throw conflict('change_request_decided', `this request is already ${r.status}`);
      if (r.requestedBy === p.sub) throw conflict('second_person_required', 'the person who asked for a change cannot approve it');
      const approve = req.body.decision === 'approve';
      // A mobile change and a guardian link are applied when approved; a re-enrolment is applied by the enrolment it allows.
      const status = !approve ? 'rejected' : r.kind === 're_enrolment' ? 'approved' : 'applied';
      const d = await decideChangeRequest(tx, r.id, { status, by: p.sub, note: req.body.note, at: now });
      if (status === 'applied' && r.kind === 'mobile_change') await setMobile(tx, r.beneficiaryId, r.newMobile!);
      if (status === 'applied' && r.kind === 'guardian_link') await applyApprovedLink(tx, r, { sub: p.sub, role: p.role }, now);
      await appendAudit(tx, { actor: p.sub, role: p.role, action: `change.${approve ? 'approved' : 'rejected'}`, subjectType: 'change_request', subjectId: r.id, district: r.district, details: { beneficiaryId: r.beneficiaryId, kind: r.kind, status } }, now);
      return d;
    });
    return changeRequestView(decided);
  });
};
