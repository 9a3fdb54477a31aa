import type { InferenceBackend, InferenceSession, SessionOptions } from '../runtime/inference.js';
import { manifestEntry, PIPELINE_MODEL_IDS, thresholdOf, type PipelineRole } from '../runtime/model-manifest.js';
import type { ModelSource } from '../runtime/model-source.js';
import { DEFAULT_LIMITS, type Decoder, type InputLimits } from '../decode/limits.js';
import { alignmentMap, ALIGNED_SIZE } from './align.js';
import { competingFaces, detectFaces, pickPrimaryFace, squareFaceBox, type DetectorSettings } from './detect.js';
import { embedAlignedFace, type EmbeddingRecipe } from './embed.js';
import { estimateEyes } from './eyes.js';
import { boxArea, wipe, type Box, type ImageInput, type RgbImage } from './image.js';
import { faceImageStats } from './image-stats.js';
import { fivePoints, locateLandmarks } from './landmarks.js';
import { scoreLiveness } from './liveness.js';
import { estimatePose, needsPoseModel, poseFromLandmarks } from './pose.js';
import { Pyramid } from './pyramid.js';
import { DEFAULT_QUALITY, judgeQuality, type QualityThresholds } from './quality.js';
import { MESSAGES, type FailureReason } from './reasons.js';
import type { FaceFailure, FaceLocation, FaceResult, Stage, StageTimings } from './result.js';
import { warpRgbBicubic } from './warp.js';

/**
 * What a platform provides: an inference engine, model bytes and a decoder. Node's comes from
 * sdk/src/node.ts (onnxruntime-node, files, sharp), the browser's from sdk/src/browser.ts
 * (onnxruntime-web, fetch + SubtleCrypto, createImageBitmap); the code below is the same.
 */
export interface FacePlatform {
  backend: InferenceBackend;
  models: ModelSource;
  decode: Decoder;
}

export interface FacePipelineOptions extends SessionOptions {
  /**
   * CPU threads the pipeline may use. 1 (default): every model in turn on one thread.
   * 2 or more: the embedder runs beside the quality and liveness models, each lane with
   * floor(threads / 2) intra-op threads.
   */
  threads?: number;
  limits?: Partial<InputLimits>;
  quality?: Partial<QualityThresholds>;
  detector?: Partial<DetectorSettings>;
  /**
   * A second face at least this fraction of the main face's area, near the centre of the frame,
   * makes the capture ambiguous (who is being verified?) and is refused. See competingFaces.
   */
  competingFaceRatio?: number;
  /** Liveness threshold; default: the manifest's calibrated `thresholds.live`. */
  livenessThreshold?: number;
  /** Refuse captures that fail liveness (default). False: report the score, still embed. */
  enforceLiveness?: boolean;
  /**
   * 'enforce' (default): a capture failing a quality check is refused with that check's reason.
   * 'report': the failures are listed in quality.issues and the face is still embedded — for
   * benchmarks on photo collections, where a retake is impossible.
   */
  qualityGate?: 'enforce' | 'report';
  /**
   * 'when-needed' (default): head pose from the landmarks, and fr_pose (~6 ms) only when that
   * estimate is near a limit — every pose refusal is still fr_pose's (see needsPoseModel).
   * 'always': fr_pose on every capture, as before.
   * 'on-demand': as 'when-needed', but fr_pose (5.8 MB) is fetched and loaded only the first time
   * it is needed — the browser's default, so a phone's first load does not carry it.
   */
  poseModel?: 'when-needed' | 'always' | 'on-demand';
  /** How the aligned face becomes an embedding (see EmbeddingRecipe). Default: 'flip-average'. */
  embedding?: EmbeddingRecipe;
}

export interface ProcessOptions {
  /** Filled with milliseconds per stage. */
  timings?: StageTimings;
}

export interface FacePipeline {
  /** Model id of the embedder; sealed with every embedding. */
  readonly modelId: string;
  readonly embeddingDim: number;
  /** The cosine threshold the service applies for this model (from the manifest). */
  readonly matchThreshold: number;
  readonly livenessThreshold: number;
  process(input: ImageInput, options?: ProcessOptions): Promise<FaceResult>;
  close(): Promise<void>;
}

const DEFAULT_DETECTOR: DetectorSettings = { scoreThreshold: 0.7, iouThreshold: 0.4 };

/** Thrown inside a stage to end the run with a typed failure. */
class Refusal {
  constructor(
    readonly reason: FailureReason,
    readonly detail: string,
    readonly extra: Partial<FaceFailure> = {},
  ) {}
}

type Sessions = Record<Exclude<PipelineRole, 'pose'>, InferenceSession>;

/** Loads every model once; the returned pipeline reuses them for every capture. */
export async function buildFacePipeline(platform: FacePlatform, options: FacePipelineOptions = {}): Promise<FacePipeline> {
  const { backend, models, decode } = platform;
  const manifest = await models.manifest();
  const embedderEntry = manifestEntry(manifest, PIPELINE_MODEL_IDS.embedder);
  const embeddingDim = embedderEntry.embeddingDim ?? 0;
  const matchThreshold = thresholdOf(embedderEntry, 'match');
  const livenessThreshold = options.livenessThreshold ?? thresholdOf(manifestEntry(manifest, PIPELINE_MODEL_IDS.liveness), 'live');
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const qualityThresholds = { ...DEFAULT_QUALITY, ...options.quality };
  const detector = { ...DEFAULT_DETECTOR, ...options.detector };
  const competingFaceRatio = options.competingFaceRatio ?? 0.5;
  const enforceLiveness = options.enforceLiveness ?? true;
  const enforceQuality = (options.qualityGate ?? 'enforce') === 'enforce';
  const threads = options.threads ?? 1;
  const poseModelAlways = options.poseModel === 'always';
  const recipe = options.embedding ?? 'flip-average';
  // Two lanes of single-threaded models beat one lane of two-threaded ones: these graphs are
  // too small for intra-op threads to pay (measured: embedder 13.4 ms on 1 thread, 11.7 on 2).
  // Caveat, measured with onnxruntime-node 1.30: run() calls on different sessions of one
  // process do not overlap (embedder + liveness through Promise.all: 16.8 ms, one after the
  // other: 16.9), so the lanes overlap only the JS work; 2 threads ≈ 1 thread end to end.
  const parallel = threads >= 2;
  const sessionOptions: SessionOptions = { threads: parallel ? Math.floor(threads / 2) : 1, allowSpinning: options.allowSpinning ?? false };

  const load = async (role: PipelineRole) => backend.createSession(await models.load(PIPELINE_MODEL_IDS[role]), sessionOptions);
  const roles = (Object.keys(PIPELINE_MODEL_IDS) as PipelineRole[]).filter((r): r is keyof Sessions => r !== 'pose');
  const onDemandPose = options.poseModel === 'on-demand';
  let poseSession: Promise<InferenceSession> | undefined = onDemandPose ? undefined : load('pose');
  const [created] = await Promise.all([Promise.all(roles.map(async (role) => [role, await load(role)] as const)), poseSession]);
  const sessions = Object.fromEntries(created) as Sessions;
  const poseModel = () => {
    // A failed fetch is not remembered: the next capture that needs fr_pose tries again.
    poseSession ??= load('pose').catch((err) => {
      poseSession = undefined;
      throw err;
    });
    return poseSession;
  };
  let closed = false;

  async function run(input: ImageInput, timings: StageTimings): Promise<FaceResult> {
    let stage: Stage = 'decode';
    let image: RgbImage | undefined;
    let pyramid: Pyramid | undefined;
    let aligned: RgbImage | undefined;
    let face: FaceLocation | undefined;
    let clock = performance.now();
    const lap = (name: Stage) => {
      const now = performance.now();
      timings[name] = now - clock;
      clock = now;
    };
    const timed = async <T>(name: Stage, work: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      try {
        return await work();
      } finally {
        timings[name] = performance.now() - start;
      }
    };

    try {
      const decoded = await decode(input, limits);
      lap('decode');
      if (!decoded.ok) throw new Refusal(decoded.reason, decoded.detail);
      image = decoded.image;
      pyramid = new Pyramid(image);
      const { width, height } = image;

      stage = 'detect';
      const faces = await detectFaces(sessions.detector, pyramid, detector);
      const primary = pickPrimaryFace(faces, width, height);
      lap('detect');
      if (!primary) throw new Refusal('no_face', 'the detector found no face');
      face = { box: { x1: primary.x1, y1: primary.y1, x2: primary.x2, y2: primary.y2 }, detectionScore: primary.score, facesDetected: faces.length };
      const competing = competingFaces(faces, primary, width, height, competingFaceRatio).length;
      // Refused before any further work when enforcing; in report mode it is one more issue.
      if (competing > 0 && enforceQuality) throw new Refusal('multiple_faces', `${faces.length} faces found, ${competing + 1} of similar size`, { face });

      stage = 'landmarks';
      const square = squareFaceBox(primary, width, height);
      const points68 = await locateLandmarks(sessions.landmarks, pyramid, square);
      const five = fivePoints(points68);
      lap('landmarks');

      stage = 'align';
      const { alignedToSource } = alignmentMap(five);
      aligned = warpRgbBicubic(pyramid, alignedToSource, ALIGNED_SIZE, ALIGNED_SIZE);
      lap('align');

      // With two or more threads the embedding runs beside the quality and liveness models
      // (they take about as long as it does); a refused capture's embedding is wiped unseen.
      let embedding: Float32Array | undefined;
      const embedLane = parallel ? timed('embed', () => embedAlignedFace(sessions.embedder, aligned!, recipe)).then((e) => (embedding = e)) : undefined;
      embedLane?.catch(() => undefined);
      try {
        stage = 'quality';
        const verdict = await timed('quality', async () => {
          const fromLandmarks = poseModelAlways ? undefined : poseFromLandmarks(points68);
          const pose =
            fromLandmarks && !needsPoseModel(fromLandmarks, qualityThresholds)
              ? { ...fromLandmarks, source: 'landmarks' as const }
              : await estimatePose(await poseModel(), pyramid!, primary);
          const eyes = await estimateEyes(sessions.eyes, pyramid!, points68);
          return judgeQuality(
            {
              competingFaces: competing,
              eyeDistance: Math.hypot(five[1].x - five[0].x, five[1].y - five[0].y),
              outsideFraction: outsideFraction(primary, width, height),
              pose,
              image: faceImageStats(aligned!),
              eyes,
            },
            qualityThresholds,
          );
        });
        if (!verdict.ok && enforceQuality) throw new Refusal(verdict.reason, `quality check "${verdict.reason}" failed`, { face, quality: verdict.report });

        stage = 'liveness';
        const livenessScore = await timed('liveness', () => scoreLiveness(sessions.liveness, pyramid!, primary));
        const liveness = { score: livenessScore, threshold: livenessThreshold, live: livenessScore >= livenessThreshold };
        if (enforceLiveness && !liveness.live) {
          throw new Refusal('liveness_failed', 'liveness score below threshold', { face, quality: verdict.report, liveness });
        }

        stage = 'embed';
        if (embedLane) await embedLane;
        else embedding = await timed('embed', () => embedAlignedFace(sessions.embedder, aligned!, recipe));
        const result = { ok: true as const, embedding: embedding!, modelId: PIPELINE_MODEL_IDS.embedder, quality: verdict.report, liveness, face };
        embedding = undefined;
        return result;
      } finally {
        if (embedLane) await embedLane.catch(() => undefined);
        wipe(embedding);
      }
    } catch (err) {
      if (err instanceof Refusal) {
        return { ok: false, reason: err.reason, message: MESSAGES[err.reason], detail: err.detail, stage, ...err.extra };
      }
      // Engine and programming errors: their text is ours or the runtime's, never pixel data.
      const detail = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error';
      return { ok: false, reason: 'processing_error', message: MESSAGES.processing_error, detail, stage, ...(face ? { face } : {}) };
    } finally {
      pyramid?.wipe();
      wipe(image?.data, aligned?.data);
    }
  }

  return {
    modelId: PIPELINE_MODEL_IDS.embedder,
    embeddingDim,
    matchThreshold,
    livenessThreshold,
    async process(input: ImageInput, opts: ProcessOptions = {}): Promise<FaceResult> {
      if (closed) throw new Error('face pipeline is closed');
      const timings = opts.timings ?? {};
      const start = performance.now();
      const result = await run(input, timings);
      timings.total = performance.now() - start;
      return result;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const pose = await poseSession?.catch(() => undefined);
      await Promise.all([...Object.values(sessions), ...(pose ? [pose] : [])].map((s) => s.release()));
    },
  };
}

function outsideFraction(box: Box, width: number, height: number): number {
  const area = boxArea(box);
  if (area <= 0) return 1;
  const inside = boxArea({ x1: Math.max(0, box.x1), y1: Math.max(0, box.y1), x2: Math.min(width, box.x2), y2: Math.min(height, box.y2) });
  return 1 - inside / area;
}

