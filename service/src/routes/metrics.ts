import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ExclusionMetrics, FALLBACK_REASONS, PeriodQuery } from '@chehra/contract';
import { stringify } from 'csv-stringify/sync';
import { principalOf } from '../auth/plugin.js';
import type { Principal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { exclusionCounts } from '../db/repositories/exclusion.js';
import { exclusionMetrics } from '../domain/exclusion.js';
import { badRequest } from '../errors.js';
import { replies } from './schemas.js';

/** [from, to] as whole days in India; default: the last 30 days. */
function period(q: { from?: string; to?: string }, now: Date): { from: Date; to: Date; label: { from: string; to: string } } {
  const day = (s: string) => new Date(`${s}T00:00:00+05:30`);
  const to = q.to ? new Date(day(q.to).getTime() + 86_400_000) : now;
  const from = q.from ? day(q.from) : new Date(to.getTime() - 30 * 86_400_000);
  if (!(from < to)) throw badRequest('invalid_period', '"from" must be on or before "to"');
  return { from, to, label: { from: from.toISOString(), to: to.toISOString() } };
}

/**
 * A text cell that begins with = + - @ (or tab, CR) is a formula to a spreadsheet: an AWC code
 * like `=HYPERLINK(...)` would run on the admin's machine. csv-stringify's escape_formulas puts a
 * ' in front of such text (numbers, negative ones included, are left alone). A cell holding a CR
 * or LF is always quoted, so it cannot start a row of its own.
 */
const toCsv = (rows: unknown[][]) => stringify(rows, { escape_formulas: true, record_delimiter: '\n', quoted_match: /[\r\n]/, cast: { boolean: (b) => String(b) } });

/** A header value is never built from raw data: only these characters reach a file name. */
export const safeFileNamePart = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'district';

export const metricsRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  const compute = async (p: Principal, q: { from?: string; to?: string }) => {
    const pr = period(q, ctx.clock());
    return { district: p.district!, period: pr.label, ...exclusionMetrics(await exclusionCounts(ctx.db, p.state!, p.district!, pr.from, pr.to, ctx.fallback.maxFaceAttempts)) };
  };

  app.get('/v1/metrics/exclusion', { config: { roles: ['district_admin'] }, schema: { querystring: PeriodQuery, response: replies({ 200: ExclusionMetrics }) } }, async (req) => compute(principalOf(req), req.query));

  app.get('/v1/metrics/exclusion.csv', { config: { roles: ['district_admin'] }, schema: { querystring: PeriodQuery, response: replies({ 200: { content: { 'text/csv': { schema: Type.String() } } } }) } }, async (req, reply) => {
    const m = await compute(principalOf(req), req.query);
    const header = ['district', 'awc', 'attempts', 'face_matches', 'fallbacks', 'fallback_rate', 'z_score', 'flagged', ...FALLBACK_REASONS.map((r) => `reason_${r}`), 'face_lockouts', 'refused_after_lockout'];
    const rows = m.awcs.map((a) => [m.district, a.awc, a.attempts, a.faceMatches, a.fallbacks, a.fallbackRate?.toFixed(4) ?? '', a.zScore ?? '', a.flagged, ...FALLBACK_REASONS.map((r) => a.byReason[r] ?? 0), a.faceLockouts, a.refusedAfterLockout]);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="exclusion-${safeFileNamePart(m.district)}.csv"`)
      .send(toCsv([header, ...rows]));
  });
};
