import type { InferenceSession } from '../runtime/inference.js';
import { cropResizeMap } from './affine.js';
import { grownCrop } from './crop.js';
import { wipe, type Box, type Point } from './image.js';
import type { Pyramid } from './pyramid.js';
import { softmax } from './softmax.js';
import { warpToTensor } from './warp.js';

const SIZE = 224;

/** Degrees. Yaw: turning left/right; pitch: nodding; roll: in-plane tilt. */
export interface HeadPose {
  yaw: number;
  pitch: number;
  roll: number;
  /**
   * 'landmarks': estimated from the 68 points, clearly inside every limit, so fr_pose was not run;
   * 'model': fr_pose's reading.
   */
  source?: 'landmarks' | 'model';
}

/** Hopenet decoding: expected bin index of 66 bins, 3° each, starting at −99°. */
function binsToDegrees(logits: Float32Array): number {
  const p = softmax(logits);
  let expected = 0;
  for (let i = 0; i < p.length; i++) expected += p[i]! * i;
  return expected * 3 - 99;
}

/**
 * From the detector's own box grown by a quarter on each side. Of the crops we tried this one's
 * yaw agreed best with the landmarks' geometry (r = 0.975 on 80 LFW faces); the vendor's crop,
 * around the squared box, read a live face turned ~20° as 56°.
 */
export async function estimatePose(session: InferenceSession, pyramid: Pyramid, detectorBox: Box): Promise<HeadPose> {
  const { width, height } = pyramid.base;
  const r = grownCrop(detectorBox, 0.25, width, height);
  const input = warpToTensor(pyramid, cropResizeMap(r.x, r.y, r.w, r.h, SIZE, SIZE), SIZE, SIZE, {
    order: 'RGB',
    mean: [0.485 * 255, 0.456 * 255, 0.406 * 255],
    std: [0.229 * 255, 0.224 * 255, 0.225 * 255],
  });
  const out = await session.run({ input: { data: input, dims: [1, 3, SIZE, SIZE] } });
  wipe(input);
  const [yawName, pitchName, rollName] = session.outputNames;
  const yaw = out[yawName ?? '']?.data;
  const pitch = out[pitchName ?? '']?.data;
  const roll = out[rollName ?? '']?.data;
  if (!yaw || !pitch || !roll) throw new Error('pose model returned too few outputs');
  return { yaw: binsToDegrees(yaw), pitch: binsToDegrees(pitch), roll: binsToDegrees(roll), source: 'model' };
}

/**
 * Head pose from the 68 landmarks, without a model run. Roll is the eye line's angle. Yaw and
 * pitch are geometric ratios mapped to fr_pose's degrees by a least-squares fit on lfw-dev's
 * 807 faces (5-fold cross-validated agreement with fr_pose: yaw MAE 1.8°, r 0.985; pitch MAE
 * 3.6°, r 0.84 — pitch from 2-D points is the weak one):
 *  - yaw: where the nose tip sits between the left and right jaw contour, as an asin;
 *  - pitch: the nose tip's height between eye line and mouth, and the height of the contour's
 *    ends (ear level) below the eye line, both in eye distances after undoing the roll.
 * Good enough to tell a clearly acceptable pose from one near a limit (see needsPoseModel);
 * not a replacement for fr_pose near a limit.
 */
export function poseFromLandmarks(p: readonly Point[]): HeadPose {
  const mean = (from: number, to: number) => {
    let x = 0;
    let y = 0;
    for (let i = from; i <= to; i++) {
      x += p[i]!.x;
      y += p[i]!.y;
    }
    return { x: x / (to - from + 1), y: y / (to - from + 1) };
  };
  const le = mean(36, 41);
  const re = mean(42, 47);
  const angle = Math.atan2(re.y - le.y, re.x - le.x);
  const iod = Math.hypot(re.x - le.x, re.y - le.y);
  const mx = (le.x + re.x) / 2;
  const my = (le.y + re.y) / 2;
  const c = Math.cos(-angle);
  const s = Math.sin(-angle);
  // Roll undone, origin between the eyes, unit = eye distance.
  const q = (i: number) => {
    const dx = p[i]!.x - mx;
    const dy = p[i]!.y - my;
    return { x: (c * dx - s * dy) / iod, y: (s * dx + c * dy) / iod };
  };
  const nose = q(30);
  const left = (q(0).x + q(1).x + q(2).x) / 3;
  const right = (q(14).x + q(15).x + q(16).x) / 3;
  const dl = nose.x - left;
  const dr = right - nose.x;
  const yawRatio = (dl - dr) / (dl + dr);
  const mouthY = (q(48).y + q(54).y) / 2;
  const contourY = (q(0).y + q(16).y) / 2;
  const deg = 180 / Math.PI;
  const degenerate = !(iod > 0) || !(dl + dr > 0) || !(mouthY > 0);
  return {
    yaw: degenerate ? NaN : -1.063 - 0.6674 * Math.asin(Math.min(1, Math.max(-1, yawRatio))) * deg,
    pitch: degenerate ? NaN : -1.634 - 18.307 * (nose.y / mouthY) + 46.717 * contourY,
    roll: angle * deg,
  };
}

/**
 * How close (degrees) the landmark estimate may come to a quality limit before fr_pose is asked.
 * On lfw-dev, with the default limits (45/35/45), fr_pose then runs on 13% of faces; on the other
 * 87% fr_pose itself never read more than 31.6° yaw or 30° pitch, so every pose refusal fr_pose
 * would make was still made (0 of 807 gate decisions changed). Yaw's margin is wide because
 * pitch from landmarks degrades on turned faces.
 */
export const POSE_MODEL_MARGIN = { yaw: 20, pitch: 15, roll: 15 } as const;

/** True when the landmark pose is near (or beyond) a limit, or unusable: run fr_pose. */
export function needsPoseModel(pose: HeadPose, limits: { maxYaw: number; maxPitch: number; maxRoll: number }): boolean {
  if (!Number.isFinite(pose.yaw) || !Number.isFinite(pose.pitch) || !Number.isFinite(pose.roll)) return true;
  return (
    Math.abs(pose.yaw) > limits.maxYaw - POSE_MODEL_MARGIN.yaw ||
    Math.abs(pose.pitch) > limits.maxPitch - POSE_MODEL_MARGIN.pitch ||
    Math.abs(pose.roll) > limits.maxRoll - POSE_MODEL_MARGIN.roll
  );
}
