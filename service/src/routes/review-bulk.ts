import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BulkDecisionBody, BulkDecisionResult } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { decideCase, decisionNote } from '../domain/review-decision.js';
import { ApiError } from '../errors.js';
import { fallbackCaseView } from './fallback-view.js';
import { replies } from './schemas.js';

/**
 * POST /v1/review/decisions — one decision and one note for many cases (fourteen camera-fault
 * fallbacks at one AWC are one judgement, not fourteen). All or none, in one transaction: a case
 * that is out of scope, unknown or already decided refuses the whole batch, named by `caseId`, and
 * nothing is written; the admin deselects it and sends the rest. Each case still gets its own
 * review fields, recovery flag and audit entry, exactly as when decided alone.
 */
export const reviewBulkRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/review/decisions',
    { config: { roles: ['district_admin'] }, schema: { body: BulkDecisionBody, response: replies({ 200: BulkDecisionResult }) } },
    async (req) => {
      const p = principalOf(req);
      const { caseIds, decision } = req.body;
      const note = decisionNote(decision, req.body.note);
      const now = ctx.clock();
      const cases = await ctx.db.transaction(async (tx) => {
        const done = [];
        // In id order, so two admins deciding overlapping batches lock the rows in the same order.
        for (const id of [...caseIds].sort()) {
          try {
            done.push(await decideCase(tx, p, id, decision, note, now));
          } catch (err) {
            if (err instanceof ApiError && !('caseId' in err.extra)) throw new ApiError(err.statusCode, err.code, err.message, { ...err.extra, caseId: id });
            throw err;
          }
        }
        return done;
      });
      return { decided: cases.length, cases: cases.map(fallbackCaseView) };
    },
  );
};
