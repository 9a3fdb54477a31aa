import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnrolmentGuide, MAX_ENROLMENT_CAPTURES, MIN_ENROLMENT_CAPTURES, type FacePipeline, type FaceSuccess, type GuideCapture, type StageTimings } from '../../sdk/src/index.js';
import type { SkippedPhoto } from './types.js';

// The device's camera, played by LFW photo files: every capture runs the real pipeline, refused
// photos are reported, and every embedding held is known so it can be zeroed at the end.

export interface Captured {
  photo: string;
  result: FaceSuccess;
  ms: number;
  /** performance.now() when the capture started. */
  takenAt: number;
}

export interface CaptureStats {
  captures: number;
  refused: number;
  pipeline: number[];
  stages: Map<string, number[]>;
  /** Seal + HTTP round trips. */
  send: number[];
}

/** LFW people with at least two images, alphabetically; their files sorted. */
export function lfwPeople(lfw: string): Array<{ name: string; photos: string[] }> {
  const root = join(lfw, 'images');
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ name: d.name, photos: readdirSync(join(root, d.name)).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f) => `${d.name}/${f}`) }))
    .filter((p) => p.photos.length >= 2)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function captureDesk(face: FacePipeline, lfw: string, skipped: SkippedPhoto[], log: (line: string) => void) {
  /** Photos the pipeline refused once: a retake picks another. */
  const refusedPhotos = new Set<string>();
  const held: Captured[] = [];
  const stats: CaptureStats = { captures: 0, refused: 0, pipeline: [], stages: new Map(), send: [] };

  const capture = async (photo: string): Promise<Captured | undefined> => {
    const bytes = new Uint8Array(readFileSync(join(lfw, 'images', photo)));
    const timings: StageTimings = {};
    const t = performance.now();
    const result = await face.process(bytes, { timings });
    const ms = performance.now() - t;
    bytes.fill(0);
    stats.captures++;
    stats.pipeline.push(ms);
    for (const [k, v] of Object.entries(timings)) if (k !== 'total' && typeof v === 'number') stats.stages.set(k, [...(stats.stages.get(k) ?? []), v]);
    if (!result.ok) {
      stats.refused++;
      refusedPhotos.add(photo);
      skipped.push({ photo, stage: 'pipeline', reason: result.reason });
      log(`skipped ${photo}: the pipeline refused it (${result.reason})`);
      return undefined;
    }
    const c = { photo, result, ms, takenAt: t };
    held.push(c);
    return c;
  };

  const timedSend = async <T>(send: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await send();
    } finally {
      stats.send.push(performance.now() - t);
    }
  };

  /**
   * The first LFW people with enough photos that pass the pipeline's gates: 2–3 for the enrolment
   * (up to three, always keeping one back) and one more for the visit. The enrolment captures go
   * through the SDK's EnrolmentGuide as in the app: they must agree with each other on the device
   * before anything is sent (the service checks again and stores their mean with the flip).
   */
  const people = lfwPeople(lfw);
  let next = 0;
  const takePerson = async (): Promise<{ name: string; enrolPhotos: string[]; enrol: GuideCapture[]; visit: Captured; rest: string[] }> => {
    while (next < people.length) {
      const p = people[next++]!;
      const passing: Captured[] = [];
      const tried: string[] = [];
      for (const photo of p.photos) {
        if (passing.length === MAX_ENROLMENT_CAPTURES + 1) break;
        tried.push(photo);
        const c = await capture(photo);
        if (c) passing.push(c);
      }
      if (passing.length < MIN_ENROLMENT_CAPTURES + 1) {
        for (const c of passing) c.result.embedding.fill(0);
        log(`skipped ${p.name}: fewer than ${MIN_ENROLMENT_CAPTURES + 1} photos pass the pipeline's gates (${MIN_ENROLMENT_CAPTURES}+ to enrol, one to visit)`);
        continue;
      }
      const visit = passing.pop()!;
      const guide = new EnrolmentGuide({ matchThreshold: face.matchThreshold, captures: passing.length });
      const disagree = passing.find((c) => guide.add(c.result).status === 'disagree');
      if (disagree || !guide.ready) {
        guide.clear();
        for (const c of [...passing, visit]) c.result.embedding.fill(0);
        skipped.push({ photo: disagree?.photo ?? visit.photo, stage: 'enrolment', reason: 'captures_disagree' });
        log(`skipped ${p.name}: the enrolment photos do not agree with each other (the guide asks for a retake)`);
        continue;
      }
      return { name: p.name, enrolPhotos: passing.map((c) => c.photo), enrol: guide.take(), visit, rest: p.photos.filter((f) => !tried.includes(f)) };
    }
    throw new Error('lfw-dev ran out of people whose photos pass the pipeline');
  };
  const nextStranger = () => people[next++];

  return {
    capture,
    timedSend,
    takePerson,
    nextStranger,
    refusedPhotos,
    stats,
    /** Nothing biometric outlives the run: captures not sealed yet are zeroed. */
    wipe: () => {
      for (const c of held) c.result.embedding.fill(0);
    },
  };
}

export type CaptureDesk = ReturnType<typeof captureDesk>;
