import { boxArea, type Box } from './image.js';

export interface ScoredBox extends Box {
  score: number;
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (boxArea(a) + boxArea(b) - inter);
}

/**
 * Greedy hard NMS, highest score first. (The vendor glue sorted by the boxes' bottom edge, so
 * it kept whichever duplicate sat highest in the frame rather than the most confident one.)
 */
export function nonMaxSuppression(boxes: ScoredBox[], iouThreshold: number, maxKeep = 50): ScoredBox[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: ScoredBox[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxKeep) break;
    if (kept.every((k) => iou(k, candidate) <= iouThreshold)) kept.push(candidate);
  }
  return kept;
}
