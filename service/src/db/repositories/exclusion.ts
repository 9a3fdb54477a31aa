import type { AwcCounts } from '../../domain/exclusion.js';
import type { Queryable } from '../types.js';

/**
 * Per-AWC counts for a district and period: face attempts, face deliveries, fallback cases by
 * reason, and beneficiary-days whose face path closed (failed attempts reached maxFaceAttempts)
 * with the tries refused after that (days in India; a day counts if any of it lies in the period).
 * A district is named by its state too (district codes repeat across states). Verifications and
 * rations carry the state and district of the beneficiary they were for (migration 010), with an
 * index on (state, district, time) each: the read touches the district's rows only.
 */
export async function exclusionCounts(db: Queryable, state: string, district: string, from: Date, to: Date, maxFaceAttempts: number): Promise<AwcCounts[]> {
  const { rows } = await db.query<{ awc: string; attempts: string; face_matches: string; fallbacks: string; by_reason: Record<string, number> | null; face_lockouts: string; refused_after_lockout: string }>(
    `WITH v AS (
       SELECT awc, count(*) AS attempts FROM verifications
       WHERE state = $4 AND district = $1 AND created_at >= $2 AND created_at < $3 GROUP BY awc
     ), d AS (
       SELECT awc, count(*) AS face_matches FROM distributions
       WHERE state = $4 AND district = $1 AND method = 'face' AND created_at >= $2 AND created_at < $3 GROUP BY awc
     ), r AS (
       SELECT awc, reason, count(*) AS n FROM fallback_cases WHERE district = $1 AND state = $4 AND opened_at >= $2 AND opened_at < $3 GROUP BY awc, reason
     ), f AS (
       SELECT awc, sum(n) AS fallbacks, jsonb_object_agg(reason, n) AS by_reason FROM r GROUP BY awc
     ), l AS (
       SELECT awc, count(*) FILTER (WHERE failed >= $5) AS face_lockouts, coalesce(sum(refused), 0) AS refused_after_lockout
       FROM face_attempts
       WHERE district = $1 AND state = $4 AND day >= ($2::timestamptz AT TIME ZONE 'UTC' + interval '330 minutes')::date
         AND day <= (($3::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC' + interval '330 minutes')::date
       GROUP BY awc
     ), awcs AS (
       SELECT awc FROM v UNION SELECT awc FROM d UNION SELECT awc FROM f UNION SELECT awc FROM l WHERE face_lockouts > 0 OR refused_after_lockout > 0
     )
     SELECT a.awc, coalesce(v.attempts, 0) AS attempts, coalesce(d.face_matches, 0) AS face_matches,
            coalesce(f.fallbacks, 0) AS fallbacks, f.by_reason,
            coalesce(l.face_lockouts, 0) AS face_lockouts, coalesce(l.refused_after_lockout, 0) AS refused_after_lockout
     FROM awcs a LEFT JOIN v USING (awc) LEFT JOIN d USING (awc) LEFT JOIN f USING (awc) LEFT JOIN l USING (awc)
     ORDER BY a.awc`,
    [district, from, to, state, maxFaceAttempts],
  );
  return rows.map((r) => ({
    awc: r.awc,
    attempts: Number(r.attempts),
    faceMatches: Number(r.face_matches),
    fallbacks: Number(r.fallbacks),
    byReason: Object.fromEntries(Object.entries(r.by_reason ?? {}).map(([k, v]) => [k, Number(v)])),
    faceLockouts: Number(r.face_lockouts),
    refusedAfterLockout: Number(r.refused_after_lockout),
  }));
}

/**
 * The same counts per week (weeks start on Monday, India time) and AWC, for the chart over time;
 * the district named by its state too, as above.
 * `from` should be a Monday 00:00 IST so that the first week is whole.
 */
export async function weeklyExclusionCounts(db: Queryable, state: string, district: string, from: Date, to: Date): Promise<Array<AwcCounts & { week: string }>> {
  const { rows } = await db.query<{ week: string; awc: string; attempts: string; face_matches: string; fallbacks: string; by_reason: Record<string, number> | null }>(
    `WITH v AS (
       SELECT date_trunc('week', created_at AT TIME ZONE 'Asia/Kolkata')::date AS week, awc, count(*) AS attempts
       FROM verifications WHERE state = $4 AND district = $1 AND created_at >= $2 AND created_at < $3 GROUP BY 1, 2
     ), d AS (
       SELECT date_trunc('week', created_at AT TIME ZONE 'Asia/Kolkata')::date AS week, awc, count(*) AS face_matches
       FROM distributions WHERE state = $4 AND district = $1 AND method = 'face' AND created_at >= $2 AND created_at < $3 GROUP BY 1, 2
     ), r AS (
       SELECT date_trunc('week', opened_at AT TIME ZONE 'Asia/Kolkata')::date AS week, awc, reason, count(*) AS n
       FROM fallback_cases WHERE district = $1 AND state = $4 AND opened_at >= $2 AND opened_at < $3 GROUP BY 1, 2, 3
     ), f AS (
       SELECT week, awc, sum(n) AS fallbacks, jsonb_object_agg(reason, n) AS by_reason FROM r GROUP BY week, awc
     ), keys AS (
       SELECT week, awc FROM v UNION SELECT week, awc FROM d UNION SELECT week, awc FROM f
     )
     SELECT to_char(k.week, 'YYYY-MM-DD') AS week, k.awc, coalesce(v.attempts, 0) AS attempts, coalesce(d.face_matches, 0) AS face_matches,
            coalesce(f.fallbacks, 0) AS fallbacks, f.by_reason
     FROM keys k LEFT JOIN v USING (week, awc) LEFT JOIN d USING (week, awc) LEFT JOIN f USING (week, awc)
     ORDER BY k.week, k.awc`,
    [district, from, to, state],
  );
  return rows.map((r) => ({
    week: r.week,
    awc: r.awc,
    attempts: Number(r.attempts),
    faceMatches: Number(r.face_matches),
    fallbacks: Number(r.fallbacks),
    byReason: Object.fromEntries(Object.entries(r.by_reason ?? {}).map(([k, v]) => [k, Number(v)])),
  }));
}
