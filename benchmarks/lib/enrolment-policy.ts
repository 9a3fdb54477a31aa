/**
 * How a template should be built from several captures, measured on a dataset's own images.
 *
 * The CSV's pairs compare one image with one image. Enrolment takes 2–3 captures, so here every
 * identity with at least `captures + 1` embedded images is enrolled from its first `captures`
 * images (sorted by name: no choice of the best ones) and probed with each of the rest; impostor
 * probes are every embedded image of every other identity against that gallery. Nothing here is
 * tuned on the scores: the policies are fixed in advance and compared at fixed FARs.
 */
import { cosineSimilarity } from '../../sdk/src/vision/index.js';
import { identityOf } from './dataset.js';
import { eer, errorsAt, rocCurve, tarAtFar, thresholdForFar } from './roc.js';

export type Embeddings = ReadonlyMap<string, Float32Array | null>;

/** single: the first capture only (today's enrolment); mean: the normalised mean of the captures; max: every capture kept, the best score counts. */
export const GALLERY_POLICIES = ['single', 'mean', 'max'] as const;
export type GalleryPolicy = (typeof GALLERY_POLICIES)[number];

export function normalisedMean(vectors: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(vectors[0]!.length);
  for (const v of vectors) for (let i = 0; i < out.length; i++) out[i]! += v[i]!;
  let n = 0;
  for (const x of out) n += x * x;
  n = Math.sqrt(n);
  for (let i = 0; i < out.length; i++) out[i]! /= n;
  return out;
}

function galleryScorer(policy: GalleryPolicy, gallery: readonly Float32Array[]): (probe: Float32Array) => number {
  if (policy === 'single') return (p) => cosineSimilarity(p, gallery[0]!);
  if (policy === 'mean') {
    const mean = normalisedMean(gallery);
    return (p) => cosineSimilarity(p, mean);
  }
  return (p) => Math.max(...gallery.map((g) => cosineSimilarity(p, g)));
}

function byIdentity(embeddings: Embeddings): Map<string, Array<{ rel: string; e: Float32Array }>> {
  const out = new Map<string, Array<{ rel: string; e: Float32Array }>>();
  for (const rel of [...embeddings.keys()].sort()) {
    const e = embeddings.get(rel);
    if (!e) continue;
    const id = identityOf(rel);
    out.set(id, [...(out.get(id) ?? []), { rel, e }]);
  }
  return out;
}

export interface PolicyResult {
  policy: GalleryPolicy;
  genuine: number;
  impostor: number;
  eer: number;
  tarAtFar: { '1e-3': number; '1e-4': number };
  atThreshold: { threshold: number; falseAccepts: number; falseRejects: number; falseAcceptCount: number };
}

export interface GalleryEvaluation {
  captures: number;
  identities: number;
  /** Enrolments whose captures disagree at the match threshold: the service would refuse them as "not one person". */
  enrolmentsRefusedAsMismatch: number;
  policies: PolicyResult[];
}

export function evaluateGalleryPolicies(embeddings: Embeddings, captures: number, threshold: number): GalleryEvaluation {
  const people = [...byIdentity(embeddings)].filter(([, imgs]) => imgs.length > captures);
  const all = [...embeddings].filter((x): x is [string, Float32Array] => x[1] !== null);
  let refused = 0;
  for (const [, imgs] of people) {
    const g = imgs.slice(0, captures).map((x) => x.e);
    if (!capturesAgree(g, threshold)) refused++;
  }
  const policies = GALLERY_POLICIES.map((policy) => {
    const genuine: number[] = [];
    const impostor: number[] = [];
    for (const [id, imgs] of people) {
      const score = galleryScorer(policy, imgs.slice(0, captures).map((x) => x.e));
      for (const probe of imgs.slice(captures)) genuine.push(score(probe.e));
      for (const [rel, e] of all) if (identityOf(rel) !== id) impostor.push(score(e));
    }
    const roc = rocCurve(genuine, impostor);
    const at = errorsAt(genuine, impostor, threshold);
    return {
      policy,
      genuine: genuine.length,
      impostor: impostor.length,
      eer: eer(roc),
      tarAtFar: { '1e-3': tarAtFar(roc, 1e-3).tar, '1e-4': tarAtFar(roc, 1e-4).tar },
      atThreshold: { threshold, falseAccepts: at.falseAccepts, falseRejects: at.falseRejects, falseAcceptCount: Math.round(at.falseAccepts * impostor.length) },
    };
  });
  return { captures, identities: people.length, enrolmentsRefusedAsMismatch: refused, policies };
}

/** Every pair of captures scores at or above the threshold: the same rule the service applies at enrolment. */
export function capturesAgree(captures: readonly Float32Array[], threshold: number): boolean {
  for (let i = 0; i < captures.length; i++) for (let j = i + 1; j < captures.length; j++) if (cosineSimilarity(captures[i]!, captures[j]!) < threshold) return false;
  return true;
}

/**
 * The threshold at a target FAR, cross-validated over identities: the identities are dealt into
 * `folds` groups; each fold's threshold comes from impostor comparisons among the other folds'
 * identities only, and its FAR and TAR are measured on comparisons touching the held-out fold.
 * The spread of the fold thresholds says how far the calibration can be trusted.
 */
export function crossValidatedThreshold(embeddings: Embeddings, targetFar: number, folds = 10) {
  const people = [...byIdentity(embeddings).keys()];
  const foldOf = new Map(people.map((id, i) => [id, i % folds]));
  const rels = [...embeddings].filter((x): x is [string, Float32Array] => x[1] !== null);
  const comparisons: Array<{ fa: number; fb: number; same: boolean; s: number }> = [];
  for (let i = 0; i < rels.length; i++) {
    for (let j = i + 1; j < rels.length; j++) {
      const [ra, ea] = rels[i]!;
      const [rb, eb] = rels[j]!;
      comparisons.push({ fa: foldOf.get(identityOf(ra))!, fb: foldOf.get(identityOf(rb))!, same: identityOf(ra) === identityOf(rb), s: cosineSimilarity(ea, eb) });
    }
  }
  const perFold = [];
  for (let f = 0; f < folds; f++) {
    const train = comparisons.filter((c) => !c.same && c.fa !== f && c.fb !== f).map((c) => c.s);
    const t = thresholdForFar(train, targetFar);
    const test = comparisons.filter((c) => c.fa === f || c.fb === f);
    const gen = test.filter((c) => c.same).map((c) => c.s);
    const imp = test.filter((c) => !c.same).map((c) => c.s);
    const e = errorsAt(gen, imp, t);
    perFold.push({ fold: f, threshold: t, heldOutFar: e.falseAccepts, heldOutTar: 1 - e.falseRejects, heldOutImpostors: imp.length });
  }
  const ts = perFold.map((p) => p.threshold);
  return { targetFar, folds, perFold, thresholdMin: Math.min(...ts), thresholdMax: Math.max(...ts), meanHeldOutFar: perFold.reduce((s, p) => s + p.heldOutFar, 0) / folds };
}

/**
 * The hardest impostors: for each identity, its most similar other identity's best image pair.
 * LFW carries no sex or age labels, so "hardest" is by score alone — a superset of the
 * same-sex, similar-age pairs a labelled set would pick.
 */
export function hardestImpostors(embeddings: Embeddings, threshold: number, top = 20) {
  const people = [...byIdentity(embeddings)];
  const nearest: Array<{ a: string; b: string; score: number }> = [];
  for (const [id, imgs] of people) {
    let best = { a: '', b: '', score: -2 };
    for (const [other, others] of people) {
      if (other === id) continue;
      for (const x of imgs) for (const y of others) {
        const s = cosineSimilarity(x.e, y.e);
        if (s > best.score) best = { a: x.rel, b: y.rel, score: s };
      }
    }
    nearest.push(best);
  }
  nearest.sort((p, q) => q.score - p.score);
  return {
    identities: people.length,
    threshold,
    identitiesWithNearestAboveThreshold: nearest.filter((n) => n.score >= threshold).length,
    highestImpostorScore: nearest[0]?.score ?? null,
    marginBelowThreshold: nearest[0] ? threshold - nearest[0].score : null,
    top: nearest.slice(0, top).map((n) => ({ ...n, score: +n.score.toFixed(4) })),
  };
}
