import type { Role } from '@chehra/contract';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary, type Beneficiary } from '../db/repositories/beneficiaries.js';
import type { ChangeRequest } from '../db/repositories/change-requests.js';
import { guardiansOf, insertGuardianship, type Guardianship } from '../db/repositories/guardianships.js';
import type { Queryable } from '../db/types.js';
import { badRequest, conflict } from '../errors.js';
import type { Probe } from './probe.js';
import { secondPerson, type GuardianLinkChange, type SecondPersonRules } from './second-person.js';

/**
 * Whoever is linked as a child's guardian can collect the child's ration with her own face, so a
 * link is a change over existing data like a re-enrolment (second-person.ts). The first link of a
 * child with no guardian is made at registration, with the mother present, by the worker alone.
 * Any further one needs a second person: the face of a guardian the child already has, matching
 * her template in the same request, or a supervisor of the sector approving the change request.
 */
export interface LinkAsked {
  child: Beneficiary;
  guardian: Beneficiary;
  relation: string;
  since: string;
  actor: { sub: string; role: Role };
  now: Date;
  /** A capture of the child's existing guardian, to approve the link at once. */
  probe: Probe | null;
  /** Which existing guardian the capture is of; may be left out when the child has only one. */
  existingGuardianId?: string;
}

export type LinkResult = { linked: Guardianship; via: 'first_guardian' | 'face_match' | 'supervisor' } | { pending: ChangeRequest };

export async function linkGuardian(tx: Queryable, a: LinkAsked, rules: SecondPersonRules): Promise<LinkResult> {
  // Two links for one child at once must not both find "no guardian yet": they wait here in turn.
  await getBeneficiary(tx, a.child.id, { forNoKeyUpdate: true });
  const current = await guardiansOf(tx, a.child.id);
  if (current.some((g) => g.guardianId === a.guardian.id)) throw conflict('guardian_already_linked', 'this guardian is already linked to this child');
  const change = { guardianId: a.guardian.id, relation: a.relation, since: a.since };
  if (current.length === 0) return { linked: await insertLink(tx, a.child, change, a.actor.sub, a.actor, { allowedBy: 'first_guardian' }, a.now), via: 'first_guardian' };

  const existing = a.probe ? await existingGuardian(tx, a, current) : undefined;
  const gate = await secondPerson(
    tx,
    { beneficiary: a.child, kind: 'guardian_link', newMobile: null, guardianLink: change, faceOf: existing, requestedBy: a.actor.sub, now: a.now, probe: existing ? a.probe : null },
    rules,
  );
  if (!gate.allowed) {
    await appendAudit(tx, { actor: a.actor.sub, role: a.actor.role, action: 'change.requested', subjectType: 'beneficiary', subjectId: a.child.id, district: a.child.district, details: { changeRequestId: gate.request.id, kind: 'guardian_link', guardianId: a.guardian.id } }, a.now);
    return { pending: gate.request };
  }
  const via = gate.via === 'first_enrolment' ? 'first_guardian' : gate.via;
  const details = { allowedBy: via, changeRequestId: gate.request?.id, ...(via === 'face_match' && existing ? { approvedByFaceOf: existing.id } : {}) };
  return { linked: await insertLink(tx, a.child, change, a.actor.sub, a.actor, details, a.now), via };
}

/** Whose face approves: the guardian named, or the only one the child has. */
async function existingGuardian(tx: Queryable, a: LinkAsked, current: Guardianship[]): Promise<Beneficiary> {
  const id = a.existingGuardianId ?? (current.length === 1 ? current[0]!.guardianId : undefined);
  if (!id) throw badRequest('existing_guardian_required', 'the child has several guardians: say whose face approves the link (existingGuardianId)');
  if (!current.some((g) => g.guardianId === id)) throw conflict('not_guardian_of_child', 'the person whose face approves the link must be a current guardian of the child', { childIds: [a.child.id] });
  return (await getBeneficiary(tx, id))!;
}

/**
 * A supervisor approved a guardian_link request: the link it asked for is made now, checked again
 * (a record merged or a link made meanwhile refuses it; she can then reject the request).
 */
export async function applyApprovedLink(tx: Queryable, r: ChangeRequest, supervisor: { sub: string; role: Role }, now: Date): Promise<Guardianship> {
  const child = (await getBeneficiary(tx, r.beneficiaryId))!;
  const guardian = (await getBeneficiary(tx, r.guardianId!))!;
  if (child.closedAt || guardian.closedAt) throw conflict('beneficiary_closed', 'a record of this link was merged into another since it was asked for: reject it and link the record kept');
  const link = { guardianId: guardian.id, relation: r.relation!, since: r.since! };
  // Made by the worker who asked; the audit entry is the supervisor's, who allowed it.
  return insertLink(tx, child, link, r.requestedBy, supervisor, { allowedBy: 'supervisor', changeRequestId: r.id }, now);
}

/** The link row and its audit entry (the auditor's cross-check finds every link by it). */
async function insertLink(tx: Queryable, child: Beneficiary, link: GuardianLinkChange, createdBy: string, actor: { sub: string; role: Role }, details: Record<string, unknown>, at: Date): Promise<Guardianship> {
  const g = await insertGuardianship(tx, { childId: child.id, guardianId: link.guardianId, relation: link.relation, since: link.since, createdBy });
  if (!g) throw conflict('guardian_already_linked', 'this guardian is already linked to this child');
  await appendAudit(tx, { actor: actor.sub, role: actor.role, action: 'guardian.linked', subjectType: 'beneficiary', subjectId: child.id, district: child.district, details: { guardianId: link.guardianId, relation: g.relation, since: g.since, ...details } }, at);
  return g;
}
