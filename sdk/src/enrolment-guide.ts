import { cosineSimilarity } from './vision/embed.js';

/**
 * Guides an enrolment of 2–3 captures of one person, on the device: counts them, and refuses a
 * capture that does not agree with the ones already taken (a different person stepped in, or a
 * bad photo) before anything is sent. The service applies the same rule again (`422
 * captures_disagree`) and stores the captures' normalised mean as one template.
 *
 * Holds copies of the embeddings in memory only; `take()` hands them over for sealing and
 * `clear()` zeroes them. Messages are for the worker, in English and Hindi.
 */
export interface GuideCapture {
  embedding: Float32Array;
  modelId: string;
  quality: number | { score: number };
  liveness: number | { score: number };
}

export type GuideStep =
  | { status: 'more'; have: number; need: number; message: { en: string; hi: string } }
  | { status: 'ready'; have: number; message: { en: string; hi: string } }
  | { status: 'disagree'; have: number; message: { en: string; hi: string } };

export const MIN_ENROLMENT_CAPTURES = 2;
export const MAX_ENROLMENT_CAPTURES = 3;

export class EnrolmentGuide {
  readonly #threshold: number;
  readonly #target: number;
  #held: GuideCapture[] = [];

  /** `matchThreshold`: the pipeline's (the manifest's) match threshold; `captures`: 2 (default) or 3. */
  constructor(options: { matchThreshold: number; captures?: number }) {
    const target = options.captures ?? MIN_ENROLMENT_CAPTURES;
    if (!Number.isInteger(target) || target < MIN_ENROLMENT_CAPTURES || target > MAX_ENROLMENT_CAPTURES) throw new RangeError(`an enrolment takes ${MIN_ENROLMENT_CAPTURES} to ${MAX_ENROLMENT_CAPTURES} captures`);
    this.#threshold = options.matchThreshold;
    this.#target = target;
  }

  get count(): number {
    return this.#held.length;
  }

  get ready(): boolean {
    return this.#held.length >= this.#target;
  }

  /** Adds a pipeline ok-result; the caller's embedding is zeroed (the guide keeps its own copy). */
  add(capture: GuideCapture): GuideStep {
    const copy = { ...capture, embedding: Float32Array.from(capture.embedding) };
    capture.embedding.fill(0);
    const differs = this.#held.some((h) => h.modelId !== copy.modelId || cosineSimilarity(h.embedding, copy.embedding) < this.#threshold);
    if (differs) {
      copy.embedding.fill(0);
      return { status: 'disagree', have: this.#held.length, message: { en: 'This photo does not look like the earlier ones. Make sure only the beneficiary is in front of the camera and take it again.', hi: 'यह फ़ोटो पिछली फ़ोटो जैसी नहीं लगती। ध्यान दें कि कैमरे के सामने केवल लाभार्थी हो, और फिर से फ़ोटो लें।' } };
    }
    if (this.ready) {
      copy.embedding.fill(0);
      return { status: 'ready', have: this.#held.length, message: { en: 'Enough photos: enrol now.', hi: 'पर्याप्त फ़ोटो हो गईं: अब नामांकन करें।' } };
    }
    this.#held.push(copy);
    if (this.ready) return { status: 'ready', have: this.#held.length, message: { en: 'Enough photos: enrol now.', hi: 'पर्याप्त फ़ोटो हो गईं: अब नामांकन करें।' } };
    const need = this.#target - this.#held.length;
    return { status: 'more', have: this.#held.length, need, message: { en: `Photo ${this.#held.length} of ${this.#target} taken. Take ${need} more, with the face a little turned or in other light.`, hi: `${this.#target} में से ${this.#held.length} फ़ोटो हो गई। ${need} और लें, चेहरा थोड़ा घुमाकर या दूसरी रोशनी में।` } };
  }

  /** The captures, for sealing; the guide forgets them (the caller zeroes them once sealed). */
  take(): GuideCapture[] {
    if (!this.ready) throw new Error(`an enrolment needs ${this.#target} agreeing captures; ${this.#held.length} so far`);
    const out = this.#held;
    this.#held = [];
    return out;
  }

  /** Zeroes and forgets every capture (the worker cancelled). */
  clear(): void {
    for (const h of this.#held) h.embedding.fill(0);
    this.#held = [];
  }
}
