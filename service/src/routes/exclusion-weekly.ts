import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ExclusionWeekly, WeeklyQuery } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { weeklyExclusionCounts } from '../db/repositories/exclusion.js';
import { exclusionMetrics, type AwcCounts } from '../domain/exclusion.js';
import { replies } from './schemas.js';

const DAY = 86_400_000;
const IST = 5.5 * 3_600_000;

/** Monday 00:00 India time of the week holding `now`, as a Date, and as YYYY-MM-DD. */
function mondayOf(now: Date): Date {
  const local = new Date(now.getTime() + IST);
  const sinceMonday = (local.getUTCDay() + 6) % 7;
  const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - sinceMonday * DAY;
  return new Date(midnight - IST);
}
const dayOf = (instant: Date) => new Date(instant.getTime() + IST).toISOString().slice(0, 10);

/**
 * The district's exclusion figures week by week — a camera that broke on a Tuesday shows as a step,
 * which one period's totals hide — each week with the AWCs its own figures flag.
 */
export const exclusionWeeklyRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/metrics/exclusion/weekly',
    { config: { roles: ['district_admin'] }, schema: { querystring: WeeklyQuery, response: replies({ 200: ExclusionWeekly }) } },
    async (req) => {
      const p = principalOf(req);
      const district = p.district!;
      const weeks = req.query.weeks ?? 12;
      const thisMonday = mondayOf(ctx.clock());
      const from = new Date(thisMonday.getTime() - (weeks - 1) * 7 * DAY);
      const to = new Date(thisMonday.getTime() + 7 * DAY);
      const rows = await weeklyExclusionCounts(ctx.db, p.state!, district, from, to);
      const byWeek = new Map<string, AwcCounts[]>();
      for (const r of rows) byWeek.set(r.week, [...(byWeek.get(r.week) ?? []), r]);
      return {
        district,
        period: { from: from.toISOString(), to: to.toISOString() },
        weeks: Array.from({ length: weeks }, (_, i) => {
          const weekStart = dayOf(new Date(from.getTime() + i * 7 * DAY));
          const m = exclusionMetrics(byWeek.get(weekStart) ?? []);
          const { awc: _all, ...total } = m.total;
          return { weekStart, ...total, flaggedAwcs: m.awcs.filter((a) => a.flagged).map((a) => a.awc) };
        }),
      };
    },
  );
};
