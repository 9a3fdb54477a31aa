import type { EyeState } from './eyes.js';
import type { FaceImageStats } from './image-stats.js';
import type { HeadPose } from './pose.js';
import type { FailureReason } from './reasons.js';

export interface QualityThresholds {
  /** Distance between the eye centres in working-image pixels. ArcFace's crop has 35. */
  minEyeDistance: number;
  /** Fraction of the face box that may fall outside the frame. */
  maxOutsideFraction: number;
  maxYaw: number;
  maxPitch: number;
  /** Roll is undone by the alignment, so only extreme tilts are refused. */
  maxRoll: number;
  minSharpness: number;
  minBrightness: number;
  maxBrightness: number;
  maxOverexposed: number;
  /** Both eyes must look closed with at least this probability to refuse. */
  eyesClosedProbability: number;
}

/**
 * Set so that ordinary, cooperative captures pass (all but a handful of LFW's web photos do)
 * and each check catches the failure it names. Tighten per deployment if needed.
 */
export const DEFAULT_QUALITY: QualityThresholds = {
  minEyeDistance: 20,
  maxOutsideFraction: 0.2,
  maxYaw: 45,
  maxPitch: 35,
  maxRoll: 45,
  minSharpness: 15,
  minBrightness: 40,
  maxBrightness: 225,
  maxOverexposed: 0.25,
  eyesClosedProbability: 0.9,
};

export interface QualityMeasures {
  /** Other faces as large as the beneficiary's near the centre of the frame (see competingFaces). */
  competingFaces: number;
  eyeDistance: number;
  outsideFraction: number;
  pose: HeadPose;
  image: FaceImageStats;
  eyes: EyeState;
}

export interface QualityReport extends QualityMeasures {
  /** 0…1: the smallest headroom left on any check (0 = at a limit). */
  score: number;
  /** Every check that failed, most actionable first (empty when the capture passes). */
  issues: FailureReason[];
}

export type QualityVerdict = { ok: true; report: QualityReport } | { ok: false; reason: FailureReason; report: QualityReport };

const headroom = (value: number, limit: number) => Math.min(1, Math.max(0, 1 - value / limit));
const above = (value: number, limit: number) => Math.min(1, Math.max(0, (value - limit) / limit));

/** Checks in the order a worker can fix them: distance, framing, pose, then light and focus. */
export function judgeQuality(m: QualityMeasures, t: QualityThresholds): QualityVerdict {
  const { pose, image, eyes } = m;
  const score = Math.min(
    above(m.eyeDistance, t.minEyeDistance),
    headroom(Math.abs(pose.yaw), t.maxYaw),
    headroom(Math.abs(pose.pitch), t.maxPitch),
    headroom(Math.abs(pose.roll), t.maxRoll),
    above(image.sharpness, t.minSharpness),
    headroom(Math.max(eyes.closedLeft, eyes.closedRight), 1),
  );
  const checks: Array<[boolean, FailureReason]> = [
    [m.competingFaces > 0, 'multiple_faces'],
    [m.eyeDistance < t.minEyeDistance, 'face_too_small'],
    [m.outsideFraction > t.maxOutsideFraction, 'face_cut_off'],
    [Math.abs(pose.yaw) > t.maxYaw, 'face_turned'],
    [Math.abs(pose.pitch) > t.maxPitch, 'face_tilted_up_down'],
    [Math.abs(pose.roll) > t.maxRoll, 'head_tilted'],
    [image.brightness < t.minBrightness, 'too_dark'],
    [image.brightness > t.maxBrightness || image.overexposed > t.maxOverexposed, 'too_bright'],
    [image.sharpness < t.minSharpness, 'image_blurry'],
    [Math.min(eyes.closedLeft, eyes.closedRight) >= t.eyesClosedProbability, 'eyes_closed'],
  ];
  const issues = checks.filter(([failed]) => failed).map(([, reason]) => reason);
  const report: QualityReport = { ...m, score, issues };
  return issues[0] ? { ok: false, reason: issues[0], report } : { ok: true, report };
}
