import type { Box } from './image.js';
import type { QualityReport } from './quality.js';
import type { FailureReason, WorkerMessage } from './reasons.js';

export type Stage = 'decode' | 'detect' | 'landmarks' | 'align' | 'quality' | 'liveness' | 'embed';

/**
 * Milliseconds per stage, filled in as the pipeline runs (stages not reached stay absent).
 * With threads ≥ 2 the embedding overlaps quality and liveness, so stages can sum to more
 * than `total`, which is always wall time.
 */
export type StageTimings = Partial<Record<Stage | 'total', number>>;

export interface LivenessReport {
  /** Probability (0…1) that the face is live. */
  score: number;
  threshold: number;
  live: boolean;
}

export interface FaceLocation {
  /** Detector box in the decoded (upright, possibly downscaled) image's pixels. */
  box: Box;
  detectionScore: number;
  /** Faces the detector found; the others were small enough to ignore. */
  facesDetected: number;
}

export interface FaceSuccess {
  ok: true;
  /** L2-normalised; compare with cosine similarity. */
  embedding: Float32Array;
  /** The embedder that made it: templates only match templates of the same id. */
  modelId: string;
  quality: QualityReport;
  liveness: LivenessReport;
  face: FaceLocation;
}

export interface FaceFailure {
  ok: false;
  reason: FailureReason;
  /** What the worker should do, in English and Hindi. */
  message: WorkerMessage;
  /** Technical detail for logs: never pixels or embedding values. */
  detail: string;
  stage: Stage;
  face?: FaceLocation;
  quality?: QualityReport;
  liveness?: LivenessReport;
}

export type FaceResult = FaceSuccess | FaceFailure;
