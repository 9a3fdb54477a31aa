import type { ChehraClient } from '../../sdk/src/index.js';
import type { CaptureStats } from './captures.js';
import type { Registered } from './visits.js';
import type { DemoReport, VisitRow } from './types.js';

// The end of the day: this run's cases in the district admin's queue, the audit chain, and totals.

export async function readQueue(admin: ChehraClient, awc: string, registered: Registered[]): Promise<DemoReport['queue']> {
  const ours = new Map(registered.map((r) => [r.id, r.member.name]));
  const pending = await admin.reviewQueue({ status: 'pending', awc, limit: 500 });
  return {
    pendingInDistrict: (await admin.reviewQueue({ status: 'pending', limit: 1 })).total,
    items: pending.items
      .filter((c) => ours.has(c.beneficiaryId))
      .map((c) => ({ caseId: c.id, beneficiary: c.beneficiaryName, reason: c.reason, method: c.method, delivered: c.delivered, reviewStatus: c.reviewStatus, openedAt: c.openedAt })),
  };
}

export async function verifyAudit(fetchImpl: typeof fetch, baseUrl: string, auditorToken: string): Promise<NonNullable<DemoReport['audit']>> {
  const res = await fetchImpl(`${baseUrl}/v1/audit/verify`, { headers: { authorization: `Bearer ${auditorToken}`, accept: 'application/json' } });
  const body = (await res.json()) as { ok?: unknown; entries?: unknown };
  if (!res.ok) throw new Error(`GET /v1/audit/verify: HTTP ${res.status}`);
  return { ok: body.ok === true, entries: Number(body.entries) };
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export function totals(registered: Registered[], visits: VisitRow[]): DemoReport['totals'] {
  const delivered = visits.filter((v) => v.delivered);
  return {
    beneficiaries: registered.length,
    enrolled: registered.filter((r) => r.line.enrolled).length,
    visits: visits.length,
    rationsDelivered: delivered.length,
    byMethod: {
      face: delivered.filter((v) => v.method === 'face').length,
      otp: delivered.filter((v) => v.method === 'otp').length,
      attestation: delivered.filter((v) => v.method === 'attestation').length,
    },
    refused: visits.filter((v) => !v.delivered).length,
    fallbackCases: new Set(visits.map((v) => v.fallbackCaseId).filter(Boolean)).size,
  };
}

export function faceSteps(stats: CaptureStats): DemoReport['faceSteps'] {
  return {
    captures: stats.captures,
    refused: stats.refused,
    pipelineMs: { total: round(stats.pipeline.reduce((a, b) => a + b, 0)), mean: round(mean(stats.pipeline)), max: round(Math.max(0, ...stats.pipeline)) },
    stagesMeanMs: Object.fromEntries([...stats.stages].map(([k, v]) => [k, round(mean(v))])),
    sendMs: { count: stats.send.length, mean: round(mean(stats.send)), max: round(Math.max(0, ...stats.send)) },
  };
}
